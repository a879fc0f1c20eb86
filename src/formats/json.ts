import { FormatError } from '../errors';

/**
 * JSON from files, parsed as it is, with its nesting bounded before `JSON.parse` so that
 * nothing read from it recurses without limit.
 */

/** Deepest nesting of arrays and objects accepted (serde_json's recursion limit; tensors here have rank ≤ 3). */
export const MAX_JSON_DEPTH = 128;

/** Index of the quote closing the string opened at `open` (one not preceded by an odd run of backslashes), or −1. */
function stringEnd(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/** Index of the first bracket nested deeper than `maxDepth`, or −1: a scan over brackets and strings only. */
export function firstTooDeep(text: string, maxDepth: number): number {
  // Brackets, and the quote that starts a string: the only characters that change the nesting.
  const structure = /[[\]{}"]/g;
  let depth = 0;
  for (let match = structure.exec(text); match !== null; match = structure.exec(text)) {
    const char = match[0];
    if (char === '"') {
      const end = stringEnd(text, match.index);
      if (end < 0) return -1; // an unterminated string: JSON.parse says where
      structure.lastIndex = end + 1;
    } else if (char === '[' || char === '{') {
      if (++depth > maxDepth) return match.index;
    } else {
      depth--;
    }
  }
  return -1;
}

/**
 * Parses `text` as JSON. JSON nested deeper than `MAX_JSON_DEPTH`, or invalid JSON (then
 * saying it expected `expected`), is a `FormatError` naming `source`.
 */
export function parseJson(text: string, source: string, expected: string): unknown {
  const tooDeep = firstTooDeep(text, MAX_JSON_DEPTH);
  if (tooDeep >= 0) {
    throw new FormatError(source, `JSON nested at most ${MAX_JSON_DEPTH} deep`, `deeper nesting at position ${tooDeep}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FormatError(source, expected, `invalid JSON (${(error as Error).message})`);
  }
}
