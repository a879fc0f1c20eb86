import { readFileSync } from 'fs';
import { join } from 'path';
import { FormatError } from '../../src/errors';
import {
  MAX_PICKLE_DEPTH,
  MAX_PICKLE_INT_BYTES,
  MAX_PICKLE_MEMO,
  MAX_PICKLE_VALUES,
  PickleCallable,
  PickleHooks,
  RefusedGlobal,
  isTuple,
  unpickle,
} from '../../src/formats/pickle';
import { torchPickle } from '../../src/formats/torchPickle';

const PT = join(__dirname, '..', '..', 'fixtures', 'pt');

/** A Python value as `scripts/make_pt_fixtures.py` tags it in JSON. */
type Tagged = null | boolean | { int: string } | { float: number } | { str: string } | { bytes: string } | { list: Tagged[] } | { tuple: Tagged[] } | { dict: [Tagged, Tagged][] };

/** Throws unless `actual` is the Python value `expected`, with tuples as tuples and lists as lists. */
function expectPython(actual: unknown, expected: Tagged, path = 'value'): void {
  if (expected === null || typeof expected === 'boolean') return expect([path, actual]).toEqual([path, expected]);
  if ('int' in expected) {
    const value = BigInt(expected.int);
    const safe = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
    return expect([path, actual]).toEqual([path, safe ? Number(value) : value]);
  }
  if ('float' in expected) return expect([path, actual]).toEqual([path, expected.float]);
  if ('str' in expected) return expect([path, actual]).toEqual([path, expected.str]);
  if ('bytes' in expected) return expect([path, actual]).toEqual([path, Uint8Array.from(Buffer.from(expected.bytes, 'hex'))]);
  if ('list' in expected || 'tuple' in expected) {
    const items = 'list' in expected ? expected.list : expected.tuple;
    expect([path, Array.isArray(actual) && isTuple(actual) === 'tuple' in expected]).toEqual([path, true]);
    expect([path, (actual as unknown[]).length]).toEqual([path, items.length]);
    return items.forEach((item, i) => expectPython((actual as unknown[])[i], item, `${path}[${i}]`));
  }
  expect([path, actual instanceof Map]).toEqual([path, true]);
  const map = actual as Map<unknown, unknown>;
  expect([path, map.size]).toEqual([path, expected.dict.length]);
  expected.dict.forEach(([key, value]) => {
    // Keys here are str or int.
    const jsKey = typeof key === 'object' && key !== null && 'int' in key ? Number(key.int) : (key as { str: string }).str;
    expect([path, 'has', jsKey, map.has(jsKey)]).toEqual([path, 'has', jsKey, true]);
    expectPython(map.get(jsKey), value, `${path}[${JSON.stringify(jsKey)}]`);
  });
}

/** Hooks allowing nothing, counting the refusals asked for. */
function plainHooks(allowed: Record<string, unknown> = {}): PickleHooks & { refused: string[] } {
  const refused: string[] = [];
  return {
    refused,
    global: (module, name) => allowed[`${module}.${name}`],
    persistentLoad: (pid) => {
      throw new FormatError('test', 'no persistent id', String(pid));
    },
    refuse: (global: RefusedGlobal, state?: unknown) => {
      refused.push(global.name);
      return new FormatError('test', 'no such global', `${global.name}${state === undefined ? '' : ' (built)'}`);
    },
  };
}

function bytesOf(...parts: (number | string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    const bytes = typeof part === 'number' ? [part] : typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    for (const byte of bytes) out.push(byte);
  }
  return Uint8Array.from(out);
}

const PROTO2 = [0x80, 2];
const STOP = '.';

describe("Python's own pickles, protocols 0 to 4", () => {
  const { value, pickles } = JSON.parse(readFileSync(join(PT, 'pickles.json'), 'utf8')) as { value: Tagged; pickles: string[] };

  // Python: pickle.dumps(value, protocol=p) for p in range(5), value in scripts/make_pt_fixtures.py (pickle_cases);
  // bytes are _codecs.encode(str, 'latin1') before protocol 3, a global of torch.save's allowlist.
  it.each(pickles.map((pickle, protocol) => [protocol, pickle]))('protocol %d: reads every value with its type', (_protocol, pickle) => {
    expectPython(unpickle(Buffer.from(pickle as string, 'base64'), torchPickle('p').hooks, 'p'), value);
  });

  it('keeps shared references shared (memo)', () => {
    const result = unpickle(Buffer.from(pickles[2], 'base64'), torchPickle('p').hooks, 'p') as Map<string, unknown[][]>;
    const [first, second] = result.get('shared') as unknown[][];
    expect(first).toBe(second);
  });
});

describe('the allowlist', () => {
  it('calls an allowed function with its argument tuple, and nothing else', () => {
    const calls: unknown[] = [];
    const hooks = plainHooks({ 'm.f': new PickleCallable('m.f', (args) => (calls.push(args), 'result')) });
    const pickle = bytesOf(PROTO2, 'cm\nf\n', 'K', 7, 0x85, 'R', STOP);
    expect(unpickle(pickle, hooks, 'p')).toBe('result');
    expect(calls).toEqual([[7]]);
  });

  it('refuses a call of a global outside it, naming it, without resolving it', () => {
    const hooks = plainHooks();
    const pickle = bytesOf(PROTO2, 'cposix\nsystem\n', 'X', [4, 0, 0, 0], 'echo', 0x85, 'R', STOP);
    expect(() => unpickle(pickle, hooks, 'p')).toThrow('test: expected no such global, got posix.system');
    expect(hooks.refused).toEqual(['posix.system']);
  });

  it('refuses a global outside it that is only stored, at STOP', () => {
    const pickle = bytesOf(PROTO2, ']', 'cos\nsystem\n', 'a', STOP);
    expect(() => unpickle(pickle, plainHooks(), 'p')).toThrow('test: expected no such global, got os.system');
  });

  it('refuses STACK_GLOBAL (protocol 4) outside it too', () => {
    const pickle = bytesOf(0x80, 4, 0x8c, 5, 'posix', 0x8c, 6, 'system', 0x93, ')', 'R', STOP);
    expect(() => unpickle(pickle, plainHooks(), 'p')).toThrow('test: expected no such global, got posix.system');
  });

  it('refuses an object of a class outside it when BUILD gives it its state, naming the outermost class', () => {
    const pickle = bytesOf(PROTO2, 'c__main__\nNet\n', ')', 0x81, 'c__main__\nInner\n', ')', 0x81, '}', 'b', STOP);
    expect(() => unpickle(pickle, plainHooks(), 'p')).toThrow('test: expected no such global, got __main__.Net (built)');
  });

  it.each([
    ['INST', bytesOf(PROTO2, '(', 'iposix\nsystem\n', STOP), /opcode 0x69 \(INST\) at byte 3$/],
    ['OBJ', bytesOf(PROTO2, '(', 'cposix\nsystem\n', 'o', STOP), /opcode 0x6f \(OBJ\) at byte 17$/],
    ['EXT1', bytesOf(PROTO2, 0x82, 1, STOP), /opcode 0x82 \(EXT1\) at byte 2$/],
    ['PERSID', bytesOf(PROTO2, 'Pid\n', STOP), /opcode 0x50 \(PERSID\) at byte 2$/],
    ['an unknown byte', bytesOf(PROTO2, 0xff, STOP), /opcode 0xff at byte 2$/],
  ])('knows no opcode that resolves or runs anything else: %s', (_name, pickle, message) => {
    expect(() => unpickle(pickle, plainHooks(), 'p.pkl')).toThrow(FormatError);
    expect(() => unpickle(pickle, plainHooks(), 'p.pkl')).toThrow(message);
  });
});

describe('malformed and hostile pickles', () => {
  it.each([
    ['an empty stack', bytesOf(PROTO2, 'a', STOP), 'p: expected a value on the pickle stack, got an empty stack at byte 2'],
    ['a missing MARK', bytesOf(PROTO2, 't', STOP), 'p: expected a MARK before this opcode, got none at byte 2'],
    ['no STOP', bytesOf(PROTO2, 'N'), 'p: expected 1 more bytes within the pickle, got a pickle of 3 bytes at byte 3'],
    ['bytes after STOP', bytesOf(PROTO2, 'N', STOP, 'N'), 'p: expected the end of the pickle after STOP, got 1 more bytes at byte 3'],
    ['a string past the end', bytesOf(PROTO2, 'X', [0xff, 0xff, 0xff, 0x7f], STOP), 'p: expected 2147483647 more bytes within the pickle, got a pickle of 8 bytes at byte 2'],
    ['a memo index never put', bytesOf(PROTO2, 'h', 3, STOP), 'p: expected a memo index PUT before, got 3 at byte 2'],
    ['APPEND to a tuple', bytesOf(PROTO2, ')', 'N', 'a', STOP), 'p: expected APPEND to a list, got a tuple at byte 4'],
    ['SETITEM on a list', bytesOf(PROTO2, ']', 'N', 'N', 's', STOP), 'p: expected SETITEM on a dict, got a list at byte 5'],
    ['REDUCE of data', bytesOf(PROTO2, 'N', ')', 'R', STOP), 'p: expected REDUCE of an allowed function, got None at byte 4'],
    ['protocol 6', bytesOf(0x80, 6, 'N', STOP), 'p: expected pickle protocol 0 to 5, got protocol 6 at byte 0'],
  ])('%s is a FormatError', (_name, pickle, message) => {
    expect(() => unpickle(pickle, plainHooks(), 'p')).toThrow(FormatError);
    expect(() => unpickle(pickle, plainHooks(), 'p')).toThrow(message);
  });

  it(`refuses ints longer than ${MAX_PICKLE_INT_BYTES} bytes, before decoding them`, () => {
    expect(unpickle(bytesOf(PROTO2, 0x8a, 9, [0, 0, 0, 0, 0, 0, 0, 0, 1], STOP), plainHooks(), 'p')).toBe(2n ** 64n);
    const long4 = bytesOf(PROTO2, 0x8b, [0, 0, 0x10, 0], new Array(0x100000).fill(1), STOP);
    expect(() => unpickle(long4, plainHooks(), 'p')).toThrow(`p: expected an int of at most ${MAX_PICKLE_INT_BYTES} bytes, got 1048576 bytes at byte 2`);
    const text = bytesOf(PROTO2, 'L', '9'.repeat(100), 'L\n', STOP);
    expect(() => unpickle(text, plainHooks(), 'p')).toThrow(/expected a decimal int of at most 256 bits/);
  });

  it(`refuses MARKs nested deeper than ${MAX_PICKLE_DEPTH}`, () => {
    const ok = bytesOf(PROTO2, '('.repeat(MAX_PICKLE_DEPTH), 't'.repeat(MAX_PICKLE_DEPTH), STOP);
    expect(isTuple(unpickle(ok, plainHooks(), 'p'))).toBe(true);
    const deep = bytesOf(PROTO2, '('.repeat(MAX_PICKLE_DEPTH + 1), 't'.repeat(MAX_PICKLE_DEPTH + 1), STOP);
    expect(() => unpickle(deep, plainHooks(), 'p')).toThrow(`p: expected MARKs nested at most ${MAX_PICKLE_DEPTH} deep, got deeper at byte ${2 + MAX_PICKLE_DEPTH}`);
  });

  it(`refuses more than ${MAX_PICKLE_MEMO} memo entries`, () => {
    const puts: number[] = [];
    for (let i = 0; i <= MAX_PICKLE_MEMO; i++) puts.push(0x72, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0);
    const pickle = bytesOf(PROTO2, 'N', puts, STOP);
    expect(() => unpickle(pickle, plainHooks(), 'p')).toThrow(`p: expected at most ${MAX_PICKLE_MEMO} memo entries, got more`);
  });

  it(`refuses more than ${MAX_PICKLE_VALUES} values, however they are made: pushed, or appended from the memo`, () => {
    const pushes = bytesOf(PROTO2, ']', 'q', 0, new Array(MAX_PICKLE_VALUES).fill(0x4e), STOP);
    expect(() => unpickle(pushes, plainHooks(), 'p')).toThrow(`p: expected a pickle of at most ${MAX_PICKLE_VALUES} values, got more`);
    // `]q\0` then `h\0a` repeated: each appends the list to itself, 2 bytes a value.
    const appends = bytesOf(PROTO2, ']', 'q', 0, new Array(MAX_PICKLE_VALUES / 2).fill([0x68, 0, 0x61]).flat(), STOP);
    expect(() => unpickle(appends, plainHooks(), 'p')).toThrow(`p: expected a pickle of at most ${MAX_PICKLE_VALUES} values, got more`);
  });

  it('gives a FormatError, never another exception, for random bytes after PROTO 2', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const opcodes = Buffer.from('()012NIJKLMFGXUTBCabcdeghjlpqrstu}]\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x93\x94\x95Q.', 'latin1');
    for (let run = 0; run < 300; run++) {
      const body = Array.from({ length: 1 + Math.floor(random() * 40) }, () => (random() < 0.7 ? opcodes[Math.floor(random() * opcodes.length)] : Math.floor(random() * 256)));
      const pickle = bytesOf(PROTO2, body);
      try {
        unpickle(pickle, plainHooks(), 'p');
      } catch (error) {
        if (!(error instanceof FormatError)) throw new Error(`${Buffer.from(pickle).toString('hex')}: ${(error as Error).stack}`);
      }
    }
  });
});
