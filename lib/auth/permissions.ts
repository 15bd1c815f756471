/** The caller a verified token describes. */
export interface Principal {
  readonly projectId: string;
  readonly actions: readonly string[];
  readonly subject: string | undefined;
}

/**
 * Whether `name` matches `pattern`, where `*` matches any run of characters. The literal parts
 * between stars must appear in order: the first at the start, the last at the end, each middle
 * one at its leftmost place after the one before, which is where greedy matching is always right
 * for `*` alone. So the work is at most one scan of the name per literal part, never backtracking:
 * a regular expression of many stars backtracks exponentially, and the pattern is the caller's.
 */
const matches = (pattern: string, name: string): boolean => {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (first.length + last.length > name.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let from = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i += 1) {
    const part = parts[i] as string;
    if (part === '') continue;
    const at = name.indexOf(part, from);
    if (at < 0 || at + part.length > end) return false;
    from = at + part.length;
  }
  return true;
};

/**
 * Whether any granted action matches the required one. In a granted action `*` matches any run of
 * characters, so `apig:*` and `apig:clientQuota:*` work as IAM-style wildcards. Nothing is cached:
 * matching costs less than looking a pattern up would, and a cache keyed by what tokens carry grows
 * with whatever they carry.
 */
export const isActionGranted = (granted: readonly string[], required: string): boolean =>
  granted.some((action) => matches(action, required));
