import { FormatError } from '../../src/errors';
import { MAX_JSON_DEPTH, MAX_JSON_PARSED_BYTES, firstTooDeep, parseJson, scanJson } from '../../src/formats/json';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJson', () => {
  it('parses JSON as it is', () => {
    expect(parseJson('{"a": [1, [2, {"b": null}]]}', 'x.json', 'JSON')).toEqual({ a: [1, [2, { b: null }]] });
  });

  it(`accepts nesting ${MAX_JSON_DEPTH} deep and refuses one level more before parsing, naming where`, () => {
    expect(parseJson(nested(MAX_JSON_DEPTH), 'x.json', 'JSON')).toHaveLength(1);
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1), 'x.json', 'JSON')).toThrow(FormatError);
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1), 'x.json', 'JSON')).toThrow(`x.json: expected JSON nested at most ${MAX_JSON_DEPTH} deep, got deeper nesting at position ${MAX_JSON_DEPTH}`);
  });

  it('refuses 5,000 levels, which would overflow the stack of whatever reads them', () => {
    expect(() => parseJson(`{"a": ${nested(5000)}}`, 'x.json', 'JSON')).toThrow(/^x\.json: expected JSON nested at most 128 deep, got deeper nesting at position 133$/);
  });

  it('names invalid JSON and its position in the file itself', () => {
    expect(() => parseJson('1, "input": [[[1,2,3]]]', 'x.json', 'JSON arrays')).toThrow(/^x\.json: expected JSON arrays, got invalid JSON \(.*position 1\b/);
  });
});

describe('firstTooDeep', () => {
  it('counts brackets outside strings only, escaped quotes included', () => {
    expect(firstTooDeep('["[[[", "\\"[[[", {"k\\\\": "{{"}]', 2)).toBe(-1);
    expect(firstTooDeep('["\\\\", [[1]]]', 2)).toBe(8);
    expect(firstTooDeep('[[1], [2], [[3]]]', 2)).toBe(12);
  });

  it('leaves an unterminated string to JSON.parse', () => {
    expect(firstTooDeep('["[[[', 1)).toBe(-1);
  });
});

describe('scanJson', () => {
  it('counts lists, objects and values outside strings', () => {
    expect(scanJson('[[1, 2], {"a,[": [3]}, "x,y"]', 8)).toEqual({ tooDeep: -1, containers: 4, values: 8 }); // The top value, the first of each list or object, one after each comma.
    expect(scanJson('1', 8)).toEqual({ tooDeep: -1, containers: 0, values: 1 });
  });
});

describe('the memory JSON.parse would take', () => {
  /** `count` lists of one number each, `[[1],[1],…]`: 4 bytes of text, about 60 bytes parsed. */
  const tinyLists = (count: number) => `[${'[1],'.repeat(count - 1)}[1]]`;

  it('refuses, before parsing, lists of one number beyond the cap: 4.2 million in 17 MB of text', () => {
    const count = MAX_JSON_PARSED_BYTES / 64;
    expect(() => parseJson(tinyLists(count), 'x.json', 'JSON')).toThrow(
      `x.json: expected JSON that parses in at most 256 MiB (64 bytes a list or object, 8 a value: write large arrays as .npy, weights as .safetensors), got ${count + 1} lists and objects and ${2 * count + 1} values, about 321 MiB`,
    );
  });

  it('parses as many numbers in lists of many', () => {
    const count = MAX_JSON_PARSED_BYTES / 64;
    const parsed = parseJson(`[${Array.from({ length: 64 }, () => `[${'1,'.repeat(count / 64 - 1)}1]`).join(',')}]`, 'x.json', 'JSON') as number[][];
    expect([parsed.length, parsed[0].length]).toEqual([64, count / 64]);
  });
});
