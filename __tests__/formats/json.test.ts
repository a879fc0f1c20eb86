import { FormatError } from '../../src/errors';
import { MAX_JSON_DEPTH, firstTooDeep, parseJson } from '../../src/formats/json';

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
