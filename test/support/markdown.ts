import { existsSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';

/** A fenced shell block of a markdown file, with the `<!-- readme-test: ... -->` marker above it. */
export interface ShellBlock {
  readonly file: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
  /** What the marker says (`run`, `skip (reason)`), or undefined when the block has none. */
  readonly marker: string | undefined;
  readonly code: string;
}

/** Info strings of a fence whose code is a shell's: each such block must say whether it is run. */
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'zsh', 'console']);

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

interface Fence {
  /** 0-based index of the opening line. */
  readonly open: number;
  /** 0-based index of the closing line, or undefined when the file ends first. */
  readonly close: number | undefined;
  readonly language: string;
}

/** The fenced code blocks of a markdown text, in order. */
const fences = (lines: readonly string[]): Fence[] => {
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, , marks = '```', language = ''] = open;
    // A fence closes on a line of the same character, at least as long, and nothing else.
    const closing = new RegExp(`^\\s*${marks[0] === '`' ? '`' : '~'}{${marks.length},}\\s*$`);
    let close: number | undefined;
    for (let j = i + 1; j < lines.length; j += 1) {
      if (closing.test(lines[j] ?? '')) {
        close = j;
        break;
      }
    }
    found.push({ open: i, close, language: language.toLowerCase() });
    if (close === undefined) break;
    i = close;
  }
  return found;
};

/**
 * Every shell block of `markdown` (```sh, ```bash, ...; indented ones too), with its marker, and
 * the problems that keep a block from being read: an unclosed fence.
 */
export const shellBlocks = (file: string, markdown: string): { blocks: ShellBlock[]; problems: string[] } => {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  const problems: string[] = [];
  for (const fence of fences(lines)) {
    if (fence.close === undefined) {
      problems.push(`${file} line ${fence.open + 1}: the fence is never closed`);
      continue;
    }
    if (!SHELL_LANGUAGES.has(fence.language)) continue;
    let above = fence.open - 1;
    while (above >= 0 && lines[above]?.trim() === '') above -= 1;
    const marker = /^<!-- readme-test: (.+) -->$/.exec(lines[above]?.trim() ?? '')?.[1];
    const indent = FENCE.exec(lines[fence.open] ?? '')?.[1]?.length ?? 0;
    const code = lines
      .slice(fence.open + 1, fence.close)
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join('\n');
    blocks.push({ file, line: fence.open + 1, marker, code });
  }
  return { blocks, problems };
};

/** `markdown` with its fenced blocks blanked, line for line: a `#` or a `[x](y)` there is code. */
const withoutFences = (markdown: string): string => {
  const lines = markdown.split('\n');
  for (const fence of fences(lines)) {
    for (let i = fence.open; i <= (fence.close ?? lines.length - 1); i += 1) lines[i] = '';
  }
  return lines.join('\n');
};

/** `markdown` with its fenced blocks and code spans blanked (same lines), where links are not links. */
const proseOnly = (markdown: string): string =>
  withoutFences(markdown).replace(/(`+)[\s\S]*?\1/g, (span) => span.replace(/[^\n]/g, ' '));

/**
 * GitHub's anchor for a heading: its text lower-cased, punctuation dropped, spaces turned into
 * hyphens (links and code marks count by their text).
 */
export const headingSlug = (heading: string): string =>
  heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');

/** The anchors of a markdown text's headings, a repeated one numbered as GitHub numbers it. */
export const headingAnchors = (markdown: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
};

/** A link of a markdown text, with the line it is on. */
export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/** Every link target of `markdown` outside code: inline links and images, reference definitions, href/src. */
export const markdownLinks = (markdown: string): MarkdownLink[] => {
  const links: MarkdownLink[] = [];
  const patterns = [
    /\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g,
    /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm,
    /\b(?:href|src)="([^"]+)"/g,
  ];
  const prose = proseOnly(markdown);
  for (const pattern of patterns) {
    for (const match of prose.matchAll(pattern)) {
      const target = match[1];
      if (target === undefined) continue;
      links.push({ line: prose.slice(0, match.index).split('\n').length, target });
    }
  }
  return links.sort((a, b) => a.line - b.line);
};

const anchorsOf = (file: string): Set<string> => headingAnchors(readFileSync(file, 'utf8'));

/**
 * The relative links of `markdown` (the text of `file`, a path from the repository root) that lead
 * nowhere: a file or folder that does not exist, a path out of the repository, or a `#anchor` no
 * heading of the markdown file it names has. Each as `FILE line N: target (why)`.
 */
export const brokenLinks = (file: string, markdown: string): string[] => {
  const broken: string[] = [];
  for (const { line, target } of markdownLinks(markdown)) {
    if (/^[a-z][a-z\d+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const where = `${file} line ${line}: ${target}`;
    const [rawPath = '', anchor] = target.split('#', 2);
    let path: string;
    try {
      path = rawPath === '' ? file : posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(rawPath)));
    } catch {
      broken.push(`${where} (not a valid URL path)`);
      continue;
    }
    if (path === '..' || path.startsWith('../') || posix.isAbsolute(path)) {
      broken.push(`${where} (outside the repository)`);
      continue;
    }
    if (rawPath !== '' && !existsSync(path)) {
      broken.push(`${where} (no such file)`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!path.endsWith('.md') || (rawPath !== '' && !statSync(path).isFile())) {
      broken.push(`${where} (an anchor into a file that is not markdown)`);
      continue;
    }
    const anchors = path === file ? headingAnchors(markdown) : anchorsOf(path);
    if (!anchors.has(decodeURIComponent(anchor))) broken.push(`${where} (no heading ${path}#${anchor})`);
  }
  return broken;
};
