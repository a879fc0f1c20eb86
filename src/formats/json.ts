import { FormatError } from '../errors';

/**
 * JSON from files, parsed as it is, with its nesting and the memory `JSON.parse` would take
 * bounded before parsing, so that nothing read from it recurses without limit and a file of
 * tiny lists (`[[1],[2],…]`, about 60 bytes of memory for every 4 bytes of text) cannot take
 * gigabytes.
 */

/** Deepest nesting of arrays and objects accepted (serde_json's recursion limit; tensors here have rank ≤ 3). */
export const MAX_JSON_DEPTH = 128;

/** What `JSON.parse` takes in memory, estimated: bytes for each list or object, and for each value in them (measured on V8). */
const PARSED_BYTES_PER_CONTAINER = 64;
const PARSED_BYTES_PER_VALUE = 8;

/**
 * Cap on the estimated memory of a parsed JSON file: 256 MiB, about 32 M numbers in lists of
 * many, or 4 M lists of one. Larger arrays belong in `.npy`, weights in `.safetensors`.
 */
export const MAX_JSON_PARSED_BYTES = 256 * 1024 ** 2;

/** `bytes` in MiB, as `256 MiB`. */
function mebibytes(bytes: number): string {
  return `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

/** Index of the quote closing the string opened at `open` (one not preceded by an odd run of backslashes), or −1. */
function stringEnd(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/** What a scan of JSON text finds outside strings: the first bracket nested too deep (or −1), lists and objects, and values. */
export interface JsonScan {
  tooDeep: number;
  containers: number;
  values: number;
}

/**
 * Scans `text` over brackets, commas and strings only: where nesting first exceeds `maxDepth`
 * (then stopping), how many lists and objects it opens and about how many values they hold
 * (a value after each comma, and the first of each).
 */
export function scanJson(text: string, maxDepth: number): JsonScan {
  // Brackets, commas, and the quote that starts a string: the only characters that change the structure.
  const structure = /[[\]{},"]/g;
  let depth = 0;
  const scan: JsonScan = { tooDeep: -1, containers: 0, values: 1 };
  for (let match = structure.exec(text); match !== null; match = structure.exec(text)) {
    const char = match[0];
    if (char === '"') {
      const end = stringEnd(text, match.index);
      if (end < 0) return scan; // an unterminated string: JSON.parse says where
      structure.lastIndex = end + 1;
    } else if (char === ',') {
      scan.values++;
    } else if (char === '[' || char === '{') {
      scan.containers++;
      scan.values++;
      if (++depth > maxDepth) return { ...scan, tooDeep: match.index };
    } else {
      depth--;
    }
  }
  return scan;
}

/** Index of the first bracket nested deeper than `maxDepth`, or −1: a scan over brackets and strings only. */
export function firstTooDeep(text: string, maxDepth: number): number {
  return scanJson(text, maxDepth).tooDeep;
}

/**
 * Parses `text` as JSON. JSON nested deeper than `MAX_JSON_DEPTH`, JSON whose parsed values
 * would take more than `MAX_JSON_PARSED_BYTES`, or invalid JSON (then saying it expected
 * `expected`), is a `FormatError` naming `source`.
 */
export function parseJson(text: string, source: string, expected: string): unknown {
  const { tooDeep, containers, values } = scanJson(text, MAX_JSON_DEPTH);
  if (tooDeep >= 0) {
    throw new FormatError(source, `JSON nested at most ${MAX_JSON_DEPTH} deep`, `deeper nesting at position ${tooDeep}`);
  }
  const parsedBytes = containers * PARSED_BYTES_PER_CONTAINER + values * PARSED_BYTES_PER_VALUE;
  if (parsedBytes > MAX_JSON_PARSED_BYTES) {
    throw new FormatError(
      source,
      `JSON that parses in at most ${mebibytes(MAX_JSON_PARSED_BYTES)} (${PARSED_BYTES_PER_CONTAINER} bytes a list or object, ${PARSED_BYTES_PER_VALUE} a value: write large arrays as .npy, weights as .safetensors)`,
      `${containers} lists and objects and ${values} values, about ${mebibytes(parsedBytes)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FormatError(source, expected, `invalid JSON (${(error as Error).message})`);
  }
}
