import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';

/**
 * The fenced code blocks of the repository's Markdown files, and what the documentation test does
 * with each (`docs.test.ts`).
 *
 * A block's language says how it is checked; an HTML comment on the nearest non-blank line above
 * its fence changes that, and says why:
 *
 *   <!-- doc-test: syntax-only (needs a Slurm cluster) -->   checked, never run (reason required)
 *   <!-- doc-test: file export.py -->                         written to that file, run by a later block
 *   <!-- doc-test: prints-as-above -->                        run, and the numbers it prints must equal
 *                                                             those of the block run before it
 *                                                             (the forward tolerance)
 */

/** How a language is checked. `text` blocks (program output, equations, tables) are not code. */
export type BlockKind = 'ts' | 'js' | 'python' | 'sh' | 'console' | 'yaml' | 'json' | 'text';

const KIND_OF_LANGUAGE: Record<string, BlockKind> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  python: 'python',
  py: 'python',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  console: 'console',
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  text: 'text',
};

export type BlockMarker =
  | { kind: 'syntax-only'; reason: string }
  | { kind: 'file'; name: string }
  | { kind: 'prints-as-above' };

export interface DocBlock {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the opening fence; the block's first line of code is `line + 1`. */
  line: number;
  /** The info string's first word, as written. */
  language: string;
  kind: BlockKind;
  code: string;
  marker?: BlockMarker;
}

/** `file:line (language)`, how failures name a block. */
export function blockName(block: DocBlock): string {
  return `${block.file}:${block.line} (${block.language || 'no language'})`;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*).*$/;
const MARKER = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/;

/** Reads a `doc-test:` comment's text into a marker, or throws naming the line. */
function parseMarker(text: string, where: string): BlockMarker {
  const syntaxOnly = /^syntax-only\s*\((.+)\)$/.exec(text);
  if (syntaxOnly) return { kind: 'syntax-only', reason: syntaxOnly[1].trim() };
  const file = /^file\s+([\w.-]+)$/.exec(text);
  if (file) return { kind: 'file', name: file[1] };
  if (text === 'prints-as-above') return { kind: 'prints-as-above' };
  throw new Error(
    `${where}: doc-test marker '${text}': expected 'syntax-only (reason)', 'file NAME' or 'prints-as-above'`,
  );
}

/**
 * Every fenced block of `markdown` in order, with its marker. Throws, naming the line, on a block
 * with no or an unknown language, an unclosed fence or a marker that is not understood, so no
 * block can escape the test by accident.
 */
export function extractBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, language = ''] = open;
    const line = i + 1;
    const where = `${file}:${line}`;
    const body: string[] = [];
    let closed = false;
    for (i++; i < lines.length; i++) {
      const trimmed = lines[i].trim();
      if (trimmed.length >= fence.length && trimmed === fence[0].repeat(trimmed.length)) {
        closed = true;
        break;
      }
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i].trimStart());
    }
    if (!closed) throw new Error(`${where}: the fence opened here is never closed`);
    const kind = KIND_OF_LANGUAGE[language.toLowerCase()];
    if (kind === undefined) {
      throw new Error(
        `${where}: a block in '${language || 'no language'}': name its language (${Object.keys(KIND_OF_LANGUAGE).join(', ')}; text for output)`,
      );
    }
    let above = line - 2;
    while (above >= 0 && lines[above].trim() === '') above--;
    const comment = above >= 0 ? MARKER.exec(lines[above]) : null;
    const marker = comment ? parseMarker(comment[1], `${file}:${above + 1}`) : undefined;
    if (marker && kind === 'text') throw new Error(`${where}: a text block is never run; it needs no doc-test marker`);
    blocks.push({ file, line, language, kind, code: body.join('\n') + '\n', marker });
  }
  return blocks;
}

/** The numbers in a program's output, in order (`[0.25, -1e-3]` → 0.25, -0.001). */
export function numbersIn(text: string): number[] {
  return (text.match(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi) ?? []).map(Number);
}

/**
 * Where `actual` first prints another number than `expected` (`|a − e| > atol + rtol·|e|`), or
 * prints more or fewer numbers: a sentence saying so; undefined when they print the same.
 */
export function numbersDiffer(actual: string, expected: string, tolerance: { rtol: number; atol: number }): string | undefined {
  const [a, e] = [numbersIn(actual), numbersIn(expected)];
  if (a.length !== e.length) return `${a.length} numbers printed where ${e.length} were expected`;
  const worst = e.findIndex((value, i) => !(Math.abs(a[i] - value) <= tolerance.atol + tolerance.rtol * Math.abs(value)));
  return worst < 0 ? undefined : `number ${worst} is ${a[worst]} where ${e[worst]} was expected`;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (outside code blocks). */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) fence = fence === undefined ? marker : undefined;
    const heading = fence === undefined ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line) : null;
    if (heading) anchors.add(anchorOf(heading[1]));
  }
  return anchors;
}

/** The relative links of a Markdown file (`[text](path#anchor)`, outside code blocks), with their lines. */
export function relativeLinksOf(markdown: string): { line: number; path: string; anchor?: string }[] {
  const links: { line: number; path: string; anchor?: string }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence !== undefined) return;
    for (const [, target] of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split('#');
      links.push({ line: index + 1, path, anchor });
    }
  });
  return links;
}

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git', 'coverage']);

/** Every `.md` file of the repository (but installed packages and build output), sorted. */
export function markdownFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) walk(join(folder, entry.name));
      else if (entry.isFile() && entry.name.endsWith('.md')) found.push(relative(root, join(folder, entry.name)));
    }
  };
  walk(root);
  return found.sort();
}

/** The blocks of one repository file. */
export function blocksOf(root: string, file: string): DocBlock[] {
  return extractBlocks(readFileSync(join(root, file), 'utf8'), file);
}
