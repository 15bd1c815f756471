/** The caller a verified token describes. */
export interface Principal {
  readonly projectId: string;
  readonly actions: readonly string[];
  readonly subject: string | undefined;
}

const patterns = new Map<string, RegExp>();

const patternOf = (granted: string): RegExp => {
  let pattern = patterns.get(granted);
  if (pattern === undefined) {
    const source = granted
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    pattern = new RegExp(`^${source}$`, 's');
    patterns.set(granted, pattern);
  }
  return pattern;
};

/**
 * Whether any granted action matches the required one. In a granted action `*` matches any run of
 * characters, so `apig:*` and `apig:clientQuota:*` work as IAM-style wildcards.
 */
export const isActionGranted = (granted: readonly string[], required: string): boolean =>
  granted.some((action) => patternOf(action).test(required));
