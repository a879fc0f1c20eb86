import { FormatError } from '../errors';

/**
 * A restricted interpreter of Python pickles (protocols 0 to 4; `torch.save` writes 2), after
 * PyTorch's `weights_only=True` unpickler (`torch/_weights_only_unpickler.py`). It builds plain
 * data — None, bools, numbers (ints beyond 2^53 as BigInt), strings, bytes (`Uint8Array`), lists
 * (arrays), tuples (frozen arrays), dicts (`Map`), sets (`Set`) — and nothing else: a GLOBAL is looked up in
 * the caller's allowlist (`PickleHooks.global`), never imported, and only a `PickleCallable`
 * from that list is ever called (REDUCE), as TypeScript written here. A global outside the
 * list is kept as a `RefusedGlobal` marker and refused when it would be called or built, or at
 * STOP; no opcode that resolves or runs anything else (INST, OBJ, EXT, PERSID's text form) is
 * known. Work and memory are linear in the pickle and capped (values, memo, MARK depth, sizes
 * of ints), so a hostile pickle is a `FormatError`, never a hang or a memory blowup.
 */

/** A function of the allowlist: REDUCE calls `call` with the argument tuple. */
export class PickleCallable {
  constructor(
    /** `module.name`, for messages. */
    readonly name: string,
    readonly call: (args: readonly unknown[]) => unknown,
  ) {}
}

/** A global outside the allowlist: never resolved, refused as soon as it is called or built. */
export class RefusedGlobal {
  constructor(readonly name: string) {}
}

/** An object NEWOBJ made of a `RefusedGlobal` class: refused when BUILD gives it its state, or at STOP. */
export class RefusedInstance {
  constructor(readonly type: RefusedGlobal) {}
}

/** What the interpreter asks of its caller. */
export interface PickleHooks {
  /** The value GLOBAL `module.name` stands for (a `PickleCallable` or plain data), or undefined when it is not allowed. */
  global(module: string, name: string): unknown;
  /** The object a persistent id (BINPERSID) stands for; throws a `FormatError` for any other id. */
  persistentLoad(pid: unknown): unknown;
  /**
   * The error for a refused global: called (REDUCE), left in the data (at STOP), or a class an
   * object was made of, given its state by BUILD (`global` is then the outermost such class).
   */
  refuse(global: RefusedGlobal, state?: unknown): FormatError;
}

/** Most values one pickle may create or store (every push and every container entry counts). */
export const MAX_PICKLE_VALUES = 2_000_000;
/** Most memo entries. */
export const MAX_PICKLE_MEMO = 1_000_000;
/** Deepest nesting of MARKs. */
export const MAX_PICKLE_DEPTH = 1000;
/** Longest int (LONG1, LONG4, LONG, INT) in bytes: 256 bits. */
export const MAX_PICKLE_INT_BYTES = 32;

const OPCODE_NAMES: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
  0x53: 'STRING',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Whether `value` is a tuple (a frozen array; lists are not frozen). */
export function isTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

/** A tuple of `items`. */
export function tuple(items: unknown[]): readonly unknown[] {
  return Object.freeze(items);
}

/** A safe integer for a JavaScript number, else a BigInt: Python's int. */
function pythonInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** `bytes` as Latin-1 text, a byte per character (TextDecoder's 'latin1' is windows-1252). */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let at = 0; at < bytes.length; at += 4096) text += String.fromCharCode(...bytes.subarray(at, at + 4096));
  return text;
}

/** Python's `decode_long`: little-endian two's complement. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return pythonInt(value);
}

/** Reads one pickle; see the module comment. */
class Interpreter {
  private readonly view: DataView;
  private position = 0;
  private stack: unknown[] = [];
  private readonly marks: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();
  private values = 0;
  /** Where the opcode being run starts. */
  private opcodeAt = 0;
  /** The first refused global pushed, and the first object made of one (a pickled model's outermost class). */
  private firstRefused: RefusedGlobal | undefined;
  private firstInstance: RefusedInstance | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly hooks: PickleHooks,
    private readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The error at the opcode being run: `${where}: expected …, got … at byte ${opcode's offset}`. */
  private fail(expected: string, actual: string): FormatError {
    return new FormatError(this.where, expected, `${actual} at byte ${this.opcodeAt}`);
  }

  /** Counts `count` values against `MAX_PICKLE_VALUES`. */
  private count(count = 1): void {
    this.values += count;
    if (this.values > MAX_PICKLE_VALUES) throw this.fail(`a pickle of at most ${MAX_PICKLE_VALUES} values`, 'more');
  }

  private push(value: unknown): void {
    this.count();
    this.stack.push(value);
  }

  private pop(): unknown {
    if (this.stack.length === 0) throw this.fail('a value on the pickle stack', 'an empty stack');
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) throw this.fail('a value on the pickle stack', 'an empty stack');
    return this.stack[this.stack.length - 1];
  }

  /** The values pushed since the last MARK, which is removed. */
  private popMark(): unknown[] {
    const items = this.stack;
    const below = this.marks.pop();
    if (below === undefined) throw this.fail('a MARK before this opcode', 'none');
    this.stack = below;
    return items;
  }

  private take(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || this.position + length > this.bytes.length) {
      throw this.fail(`${length} more bytes within the pickle`, `a pickle of ${this.bytes.length} bytes`);
    }
    const bytes = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  /** Moves past `length` bytes; returns where they start. */
  private skip(length: number): number {
    const at = this.position;
    this.take(length);
    return at;
  }

  private uint(bytes: 1 | 2 | 4 | 8): number {
    const at = this.skip(bytes);
    if (bytes === 1) return this.view.getUint8(at);
    if (bytes === 2) return this.view.getUint16(at, true);
    if (bytes === 4) return this.view.getUint32(at, true);
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(this.bytes.length)) throw this.fail(`a length within the pickle of ${this.bytes.length} bytes`, `${value}`);
    return Number(value);
  }

  /** The bytes of a text line (protocol 0 arguments), without its newline. */
  private lineBytes(): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) throw this.fail('a line ending in a newline', 'the end of the pickle');
    return this.take(end + 1 - this.position).subarray(0, -1);
  }

  private line(): string {
    return new TextDecoder().decode(this.lineBytes());
  }

  /** UNICODE's argument: a line in Python's raw-unicode-escape (Latin-1, and \uXXXX or \UXXXXXXXX for the rest). */
  private rawUnicodeLine(): string {
    return latin1(this.lineBytes()).replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (escape, short: string | undefined, long: string | undefined) => {
      const code = parseInt(short ?? (long as string), 16);
      if (code > 0x10ffff) throw this.fail('a Unicode code point', escape);
      return String.fromCodePoint(code);
    });
  }

  private utf8(length: number): string {
    return new TextDecoder().decode(this.take(length));
  }

  /** A decimal integer of a text opcode (INT, LONG, GET, PUT). */
  private decimal(text: string, what: string): number | bigint {
    if (!/^[+-]?\d+$/.test(text) || text.replace(/^[+-]?0*/, '').length > 2.5 * MAX_PICKLE_INT_BYTES) {
      throw this.fail(`a decimal ${what} of at most ${8 * MAX_PICKLE_INT_BYTES} bits`, JSON.stringify(text.slice(0, 40)));
    }
    return pythonInt(BigInt(text));
  }

  private long(length: number): number | bigint {
    if (length > MAX_PICKLE_INT_BYTES) throw this.fail(`an int of at most ${MAX_PICKLE_INT_BYTES} bytes`, `${length} bytes`);
    return decodeLong(this.take(length));
  }

  private memoIndex(value: number | bigint): number {
    if (typeof value !== 'number' || value < 0) throw this.fail('a memo index of at least 0', String(value));
    return value;
  }

  private put(index: number): void {
    if (!this.memo.has(index) && this.memo.size >= MAX_PICKLE_MEMO) throw this.fail(`at most ${MAX_PICKLE_MEMO} memo entries`, 'more');
    this.memo.set(index, this.top());
  }

  private get(index: number): void {
    if (!this.memo.has(index)) throw this.fail('a memo index PUT before', `${index}`);
    this.push(this.memo.get(index));
  }

  private mark(): void {
    if (this.marks.length >= MAX_PICKLE_DEPTH) throw this.fail(`MARKs nested at most ${MAX_PICKLE_DEPTH} deep`, 'deeper');
    this.marks.push(this.stack);
    this.stack = [];
  }

  private global(module: string, name: string): void {
    const value = this.hooks.global(module, name);
    if (value !== undefined) return this.push(value);
    const refused = new RefusedGlobal(`${module}.${name}`);
    this.firstRefused ??= refused;
    this.push(refused);
  }

  private reduce(): void {
    const args = this.pop();
    const func = this.pop();
    if (func instanceof RefusedGlobal) throw this.hooks.refuse(func);
    if (!(func instanceof PickleCallable)) throw this.fail('REDUCE of an allowed function', describeKind(func));
    if (!isTuple(args)) throw this.fail(`a tuple of arguments for ${func.name}`, describeKind(args));
    this.push(func.call(args));
  }

  private newObject(): void {
    const cls = this.pop();
    if (!(cls instanceof RefusedGlobal)) throw this.fail('NEWOBJ of a class', describeKind(cls));
    const instance = new RefusedInstance(cls);
    this.firstInstance ??= instance;
    this.push(instance);
  }

  private build(): void {
    const state = this.pop();
    const target = this.top();
    // OrderedDict's attributes (a state_dict's `_metadata`): kept out of the data.
    if (target instanceof Map) return;
    if (target instanceof RefusedInstance) throw this.hooks.refuse((this.firstInstance ?? target).type, state);
    throw this.fail('BUILD of an OrderedDict', describeKind(target));
  }

  private list(): unknown[] {
    const list = this.top();
    if (!Array.isArray(list) || isTuple(list)) throw this.fail('APPEND to a list', describeKind(list));
    return list;
  }

  private dict(): Map<unknown, unknown> {
    const dict = this.top();
    if (!(dict instanceof Map)) throw this.fail('SETITEM on a dict', describeKind(dict));
    return dict;
  }

  private setItems(dict: Map<unknown, unknown>, items: unknown[]): void {
    if (items.length % 2 !== 0) throw this.fail('key-value pairs', `${items.length} values`);
    this.count(items.length / 2);
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  }

  private tupleOf(size: number): void {
    if (this.stack.length < size) throw this.fail(`${size} values on the pickle stack`, `${this.stack.length}`);
    this.push(tuple(this.stack.splice(this.stack.length - size, size)));
  }

  /** Runs the pickle to its STOP; returns the value it built. */
  run(): unknown {
    for (;;) {
      this.opcodeAt = this.position;
      const opcode = this.uint(1);
      switch (opcode) {
        case 0x80: {
          const protocol = this.uint(1);
          if (protocol > 5) throw this.fail('pickle protocol 0 to 5', `protocol ${protocol}`);
          break;
        }
        case 0x95: // FRAME: a length the reader may ignore
          this.uint(8);
          break;
        case 0x2e: // STOP
          return this.stop();
        case 0x28: // MARK
          this.mark();
          break;
        case 0x30: // POP
          if (this.stack.length === 0 && this.marks.length > 0) this.popMark();
          else this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.skip(4), true));
          break;
        case 0x4b: // BININT1
          this.push(this.uint(1));
          break;
        case 0x4d: // BININT2
          this.push(this.uint(2));
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.uint(1)));
          break;
        case 0x8b: // LONG4
          this.push(this.long(this.uint(4)));
          break;
        case 0x49: {
          // INT: text; I01 and I00 are True and False
          const text = this.line();
          this.push(text === '01' ? true : text === '00' ? false : this.decimal(text, 'int'));
          break;
        }
        case 0x4c: // LONG: text ending in L
          this.push(this.decimal(this.line().replace(/L$/, ''), 'int'));
          break;
        case 0x47: // BINFLOAT: big-endian float64
          this.push(this.view.getFloat64(this.skip(8), false));
          break;
        case 0x46: {
          // FLOAT: text
          const text = this.line();
          const value = /^[+-]?inf$/.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : text === 'nan' ? NaN : Number(text);
          if (Number.isNaN(value) && text !== 'nan') throw this.fail('a decimal float', JSON.stringify(text.slice(0, 40)));
          this.push(value);
          break;
        }
        case 0x58: // BINUNICODE
          this.push(this.utf8(this.uint(4)));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8(this.uint(1)));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8(this.uint(8)));
          break;
        case 0x56: // UNICODE
          this.push(this.rawUnicodeLine());
          break;
        case 0x55: // SHORT_BINSTRING: Python 2 str, read as torch.load does (UTF-8)
          this.push(this.utf8(this.uint(1)));
          break;
        case 0x54: // BINSTRING
          this.push(this.utf8(this.uint(4)));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(Uint8Array.from(this.take(this.uint(1))));
          break;
        case 0x42: // BINBYTES
          this.push(Uint8Array.from(this.take(this.uint(4))));
          break;
        case 0x8e: // BINBYTES8
          this.push(Uint8Array.from(this.take(this.uint(8))));
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(tuple([]));
          break;
        case 0x85: // TUPLE1
          this.tupleOf(1);
          break;
        case 0x86: // TUPLE2
          this.tupleOf(2);
          break;
        case 0x87: // TUPLE3
          this.tupleOf(3);
          break;
        case 0x74: // TUPLE
          this.push(tuple(this.popMark()));
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x61: {
          // APPEND
          const item = this.pop();
          this.count();
          this.list().push(item);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.count(items.length);
          const list = this.list();
          for (const item of items) list.push(item);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new Set());
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          this.count(items.length);
          const set = this.top();
          if (!(set instanceof Set)) throw this.fail('ADDITEMS to a set', describeKind(set));
          items.forEach((item) => set.add(item));
          break;
        }
        case 0x91: // FROZENSET
          this.push(new Set(this.popMark()));
          break;
        case 0x7d: // EMPTY_DICT
          this.push(new Map());
          break;
        case 0x64: {
          // DICT
          const dict = new Map<unknown, unknown>();
          this.setItems(dict, this.popMark());
          this.push(dict);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.dict(), [key, value]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.dict(), items);
          break;
        }
        case 0x71: // BINPUT
          this.put(this.uint(1));
          break;
        case 0x72: // LONG_BINPUT
          this.put(this.uint(4));
          break;
        case 0x70: // PUT
          this.put(this.memoIndex(this.decimal(this.line(), 'memo index')));
          break;
        case 0x94: // MEMOIZE
          this.put(this.memo.size);
          break;
        case 0x68: // BINGET
          this.get(this.uint(1));
          break;
        case 0x6a: // LONG_BINGET
          this.get(this.uint(4));
          break;
        case 0x67: // GET
          this.get(this.memoIndex(this.decimal(this.line(), 'memo index')));
          break;
        case 0x63: {
          // GLOBAL
          const module = this.line();
          this.global(module, this.line());
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.fail('STACK_GLOBAL of two strings', `${describeKind(module)}, ${describeKind(name)}`);
          this.global(module, name);
          break;
        }
        case 0x52: // REDUCE
          this.reduce();
          break;
        case 0x81: // NEWOBJ
          this.pop();
          this.newObject();
          break;
        case 0x92: // NEWOBJ_EX
          this.pop();
          this.pop();
          this.newObject();
          break;
        case 0x62: // BUILD
          this.build();
          break;
        case 0x51: // BINPERSID
          this.push(this.hooks.persistentLoad(this.pop()));
          break;
        default: {
          const name = OPCODE_NAMES[opcode];
          const shown = `opcode 0x${opcode.toString(16).padStart(2, '0')}${name === undefined ? '' : ` (${name})`}`;
          throw this.fail("an opcode a state_dict's pickle uses", shown);
        }
      }
    }
  }

  /** The value STOP returns; the pickle must end there, and hold no refused global. */
  private stop(): unknown {
    const value = this.pop();
    if (this.position !== this.bytes.length) throw this.fail('the end of the pickle after STOP', `${this.bytes.length - this.position} more bytes`);
    if (this.firstRefused !== undefined) throw this.hooks.refuse(this.firstInstance?.type ?? this.firstRefused);
    return value;
  }
}

/** What kind of value `value` is, for messages: `a dict`, `a tuple`, `the global posix.system`. */
export function describeKind(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Map) return 'a dict';
  if (value instanceof Set) return 'a set';
  if (isTuple(value)) return 'a tuple';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PickleCallable) return `the function ${value.name}`;
  if (value instanceof RefusedGlobal) return `the global ${value.name}`;
  if (value instanceof RefusedInstance) return `an instance of ${value.type.name}`;
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return `a ${(value as object).constructor?.name ?? 'value'}`;
}

/**
 * Runs the pickle `bytes` with the allowlist and persistent loads of `hooks`; returns the value it
 * builds. Anything else — an unknown opcode, a refused global, bytes past the end, a limit — is a
 * `FormatError` whose argument is `where`.
 */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks, where: string): unknown {
  return new Interpreter(bytes, hooks, where).run();
}
