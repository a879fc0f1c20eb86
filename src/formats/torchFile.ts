import { FormatError, formatShape } from '../errors';
import { asBytes } from './bytes';
import { decodeBfloat16, decodeFloat16 } from './floatBits';
import { HostArray, hostArray } from './hostArray';
import { ByteSource, bufferSource } from './npy';
import { describeKind, unpickle } from './pickle';
import { TorchDtype, TorchStorage, TorchTensor, torchPickle } from './torchPickle';
import { ZipEntry, listZipEntries, readStoredEntry } from './zip';

/**
 * PyTorch's own files, as `torch.save` writes them (PyTorch ≥ 1.6): a zip archive of stored
 * members in one folder (`archive/`, or the file's stem: the folder of the first member),
 * `data.pkl` (the pickled object, read by the restricted interpreter of `torchPickle.ts`),
 * `data/<key>` (the bytes of each storage), and optionally `byteorder` (`little` or `big`),
 * `.format_version` and `.storage_alignment` (PyTorch 2.x). Files are told by their content,
 * whatever their name (`.pt`, `.pth`, `.bin`). No Node import: this reads bytes anywhere.
 */

/** What `readTorchFile` returns: the state_dict as float32, and the checkpoint entry it was under. */
export interface TorchStateDict {
  tensors: Record<string, HostArray>;
  /** The key of the checkpoint (`checkpoint['model']`; a dotted path `model.rnn` when given so) holding the state_dict; undefined when the file is one. */
  key?: string;
}

export interface TorchFileOptions {
  /**
   * The checkpoint entry holding the state_dict, a dotted path into nested dicts (`model.rnn` is
   * `checkpoint['model']['rnn']`; an entry whose name holds dots is found too, see
   * `readTorchFile`); by default the file itself, or the one of `CHECKPOINT_KEYS` that is one.
   */
  key?: string;
}

/** Where checkpoints usually keep the model's state_dict, in the order they are looked at. */
export const CHECKPOINT_KEYS = ['state_dict', 'model_state_dict', 'model', 'net'];
/** Largest `data.pkl` read (it is read whole). */
export const MAX_TORCH_PICKLE_BYTES = 64 * 1024 ** 2;
/** Most values decoded: 2 GiB of float32, as much as a safetensors file may hold. */
export const MAX_TORCH_VALUES = 512 * 1024 ** 2;
/** The `.format_version` read (PyTorch 2.x writes 1). */
const FORMAT_VERSION = '1';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const PICKLE_PROTO = 0x80;
/** `torch.save`'s legacy format starts with its magic number pickled: PROTO 2, LONG1 of 10 bytes, 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/** PyTorch before 0.4 wrote a tar archive: `ustar` at byte 257. */
const TAR_MAGIC_AT = 257;
const TAR_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72];
/** Bytes `sniffTorchFile` looks at. */
export const TORCH_SNIFF_BYTES = TAR_MAGIC_AT + TAR_MAGIC.length;

const LEGACY_ADVICE = 're-save it in Python with torch.save(torch.load(old), new) to get the zip format';

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  return prefix.every((byte, i) => bytes[at + i] === byte);
}

/**
 * What the first bytes of a file say it is: `zip` (`torch.save`'s archive, PK\x03\x04), `legacy`
 * (PyTorch's pre-1.6 pickle format or its older tar format), `pickle` (a Python pickle, not one of
 * PyTorch's), or undefined for anything else.
 */
export function sniffTorchFile(head: Uint8Array): 'zip' | 'legacy' | 'pickle' | undefined {
  if (startsWith(head, ZIP_MAGIC)) return 'zip';
  if (startsWith(head, LEGACY_MAGIC) || startsWith(head, TAR_MAGIC, TAR_MAGIC_AT)) return 'legacy';
  if (head[0] === PICKLE_PROTO && head.length > 1 && head[1] <= 5) return 'pickle';
  return undefined;
}

/** Refuses a file that is not a zip archive, saying what it is instead. */
function checkZip(file: ByteSource, source: string): void {
  const kind = sniffTorchFile(file.read(0, Math.min(file.length, TORCH_SNIFF_BYTES)));
  const expected = 'a PyTorch file (the zip archive torch.save writes)';
  if (kind === 'legacy') throw new FormatError(source, expected, `the legacy torch.save format (PyTorch < 1.6, or _use_new_zipfile_serialization=False): ${LEGACY_ADVICE}`);
  if (kind === 'pickle') throw new FormatError(source, expected, 'a bare Python pickle (pickle.dump, not torch.save): save the state_dict with torch.save(model.state_dict(), path)');
  if (kind !== 'zip') throw new FormatError(source, expected, 'a file that does not start with a zip local header (PK\\x03\\x04)');
}

/** The members of the archive's folder, by their names inside it (`data.pkl`, `data/0`). */
function archiveMembers(entries: ZipEntry[], source: string): { folder: string; members: Map<string, ZipEntry> } {
  const first = entries[0]?.name ?? '';
  const slash = first.indexOf('/');
  if (slash <= 0) throw new FormatError(source, 'a torch.save archive whose members are in one folder (archive/data.pkl)', first === '' ? 'an empty archive' : `a first member '${first}'`);
  const folder = first.slice(0, slash);
  const members = new Map<string, ZipEntry>();
  for (const entry of entries) {
    if (entry.name.startsWith(`${folder}/`)) members.set(entry.name.slice(folder.length + 1), entry);
  }
  if (members.has('constants.pkl') || [...members.keys()].some((name) => name.startsWith('code/'))) {
    throw new FormatError(
      source,
      'a state_dict saved with torch.save',
      'a TorchScript archive (torch.jit.save): save its weights in Python with torch.save(module.state_dict(), path)',
    );
  }
  if (!members.has('data.pkl')) {
    const names = entries.slice(0, 4).map((entry) => `'${entry.name}'`).join(', ');
    throw new FormatError(source, `a torch.save archive with ${folder}/data.pkl`, `members ${names}${entries.length > 4 ? ', …' : ''}`);
  }
  return { folder, members };
}

/** The text of a small optional record (`byteorder`), checked against its CRC-32. */
function readText(file: ByteSource, members: Map<string, ZipEntry>, name: string, source: string): string | undefined {
  const entry = members.get(name);
  if (entry === undefined) return undefined;
  if (entry.uncompressedSize > 64) throw new FormatError(`${source}[${entry.name}]`, 'at most 64 bytes', `${entry.uncompressedSize} bytes`);
  return new TextDecoder().decode(readStoredEntry(file, entry, `${source}[${entry.name}]`)).trim();
}

/** Whether the storages are big-endian, from `byteorder` (absent: little-endian, as PyTorch before 2.1 wrote only that). */
function readByteOrder(file: ByteSource, members: Map<string, ZipEntry>, source: string): boolean {
  const byteorder = readText(file, members, 'byteorder', source);
  if (byteorder !== undefined && byteorder !== 'little' && byteorder !== 'big') {
    throw new FormatError(`${source}[byteorder]`, "'little' or 'big'", JSON.stringify(byteorder));
  }
  return byteorder === 'big';
}

/** Checks PyTorch 2.x's `.format_version` (1) and `.storage_alignment` (a positive integer) where present. */
function checkFormatRecords(file: ByteSource, members: Map<string, ZipEntry>, source: string): void {
  const version = readText(file, members, '.format_version', source);
  if (version !== undefined && version !== FORMAT_VERSION) {
    throw new FormatError(`${source}[.format_version]`, `format version ${FORMAT_VERSION} (the one this reader knows)`, JSON.stringify(version));
  }
  const alignment = readText(file, members, '.storage_alignment', source);
  if (alignment !== undefined && !/^[1-9]\d{0,9}$/.test(alignment)) {
    throw new FormatError(`${source}[.storage_alignment]`, 'a positive integer', JSON.stringify(alignment));
  }
}

/** Whether `value` is a dict of tensors named like a module's parameters (`weight_ih_l0`, `rnn.bias`). */
function isStateDict(value: unknown): value is Map<string, TorchTensor> {
  if (!(value instanceof Map) || value.size === 0) return false;
  const entries = [...value.entries()];
  return entries.every(([key, tensor]) => typeof key === 'string' && tensor instanceof TorchTensor) && entries.some(([key]) => /(^|\.)(weight|bias)/.test(key as string));
}

/** A short description of a pickled value for messages: `a dict of keys 'epoch', 'weights'`, `a tensor [3, 4]`. */
function describe(value: unknown): string {
  if (value instanceof TorchTensor) return `a tensor ${formatShape(value.shape)} ${value.storage.type.dtype}`;
  if (value instanceof Map) {
    const keys = [...value.keys()].slice(0, 6).map((key) => (typeof key === 'string' ? `'${key}'` : String(key)));
    return value.size === 0 ? 'an empty dict' : `a dict of keys ${keys.join(', ')}${value.size > 6 ? ', …' : ''}`;
  }
  return describeKind(value);
}

/** A path of checkpoint entries for messages: `['model']['rnn']`. */
function entryPath(keys: string[]): string {
  return keys.map((key) => `['${key}']`).join('');
}

/**
 * The entry of the checkpoint `root` that the dotted path `key` names: `model.rnn` is
 * `root['model']['rnn']`. At each level the longest run of the path's next dot-separated parts
 * that is an entry is taken, so a key that itself holds dots is found too (`ema.model` is
 * `root['ema.model']` when the checkpoint has that entry, else `root['ema']['model']`). A path
 * that leads into a state_dict with parts left over names a module in it: a `FormatError` says
 * to select it with a prefix.
 */
function entryAtPath(root: unknown, key: string, source: string): { value: unknown; keys: string[] } {
  const parts = key.split('.');
  const keys: string[] = [];
  let value = root;
  for (let at = 0; at < parts.length; ) {
    const where = `${source}${entryPath(keys)}`;
    if (keys.length > 0 && isStateDict(value)) {
      const rest = parts.slice(at).join('.');
      throw new FormatError(where, `a checkpoint dict with an entry '${rest}'`, `a state_dict: select its module '${rest}' with --prefix ${rest} or { prefix: '${rest}' }, and ${keys.join('.')} as the key`);
    }
    const dict = value instanceof Map ? value : undefined;
    let end = parts.length;
    while (end > at && !dict?.has(parts.slice(at, end).join('.'))) end--;
    if (dict === undefined || end === at) {
      const rest = parts.slice(at).join('.');
      const expected = `a checkpoint dict with an entry '${parts[at]}'${rest === parts[at] ? '' : ` (or '${rest}')`}`;
      throw new FormatError(where, expected, describe(value));
    }
    keys.push(parts.slice(at, end).join('.'));
    value = dict.get(keys[keys.length - 1]);
    at = end;
  }
  return { value, keys };
}

/**
 * The state_dict of the unpickled `root`: itself, the entry the dotted path `key` names (see
 * `entryAtPath`), or the one entry of `CHECKPOINT_KEYS` holding one.
 */
function selectStateDict(root: unknown, key: string | undefined, source: string): { stateDict: Map<string, TorchTensor>; key?: string } {
  if (key !== undefined) {
    const { value, keys } = entryAtPath(root, key, source);
    if (!isStateDict(value)) throw new FormatError(`${source}${entryPath(keys)}`, 'a state_dict: a dict of parameter names to tensors', describe(value));
    return { stateDict: value, key };
  }
  if (isStateDict(root)) return { stateDict: root };
  const candidates = root instanceof Map ? CHECKPOINT_KEYS.filter((name) => isStateDict(root.get(name))) : [];
  if (candidates.length === 1) return { stateDict: (root as Map<unknown, unknown>).get(candidates[0]) as Map<string, TorchTensor>, key: candidates[0] };
  const where = CHECKPOINT_KEYS.map((name) => `'${name}'`).join(', ');
  if (candidates.length > 1) {
    throw new FormatError(source, 'one state_dict among the checkpoint entries (choose one with --weights-key or { key })', `state_dicts under ${candidates.map((name) => `'${name}'`).join(' and ')}`);
  }
  throw new FormatError(source, `a state_dict, or a checkpoint holding one under ${where} (or a key given with --weights-key or { key })`, describe(root));
}

/** How a float dtype's element is read, little- or big-endian. */
const FLOAT_READERS: Partial<Record<TorchDtype, (view: DataView, at: number, little: boolean) => number>> = {
  float32: (view, at, little) => view.getFloat32(at, little),
  float64: (view, at, little) => view.getFloat64(at, little),
  float16: (view, at, little) => decodeFloat16(view.getUint16(at, little)),
  bfloat16: (view, at, little) => decodeBfloat16(view.getUint16(at, little)),
};

const FLOAT_DTYPES = Object.keys(FLOAT_READERS).join(', ');

/**
 * The values of `tensor` as float32 in C order, gathered from its storage's bytes by its offset
 * and strides (so views into one storage, and non-contiguous ones, read as PyTorch sees them).
 */
function decodeTensor(tensor: TorchTensor, bytes: Uint8Array, bigEndian: boolean): Float32Array {
  const { offset, shape, stride } = tensor;
  const { itemSize, dtype } = tensor.storage.type;
  const read = FLOAT_READERS[dtype] as (view: DataView, at: number, little: boolean) => number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(tensor.numel);
  const index = new Array<number>(shape.length).fill(0);
  let element = offset;
  for (let i = 0; i < values.length; i++) {
    values[i] = read(view, element * itemSize, !bigEndian);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      element += stride[axis];
      if (++index[axis] < shape[axis]) break;
      element -= stride[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return values;
}

/**
 * Checks the tensors of the state_dict before anything is read: a float dtype each, and no more
 * values than their storages' bytes (overlapping views cannot make a small file decode into a
 * large one) or `MAX_TORCH_VALUES`.
 */
function checkStateDictTensors(stateDict: Map<string, TorchTensor>, source: string): void {
  let values = 0;
  const storageBytes = new Map<string, number>();
  for (const [name, tensor] of stateDict) {
    const { storage } = tensor;
    if (FLOAT_READERS[storage.type.dtype] === undefined) {
      throw new FormatError(`${source}: ${name}`, `a tensor of dtype ${FLOAT_DTYPES}`, `dtype ${storage.type.dtype} (${storage.type.name})`);
    }
    storageBytes.set(storage.key, storage.bytes);
    values += tensor.numel;
  }
  const bytes = [...storageBytes.values()].reduce((total, size) => total + size, 0);
  if (values > Math.min(bytes, MAX_TORCH_VALUES)) {
    throw new FormatError(source, `tensors of at most ${Math.min(bytes, MAX_TORCH_VALUES)} values (one per byte of their storages, at most ${MAX_TORCH_VALUES})`, `${values} values`);
  }
}

/** The name of the step counter `nn.BatchNorm*` keeps in its state_dict (an int64 scalar, not a parameter). */
const STEP_COUNTER = /(^|\.)num_batches_tracked$/;

/** `stateDict` without BatchNorm's integer step counters, so that a whole model with a BatchNorm reads as float32 parameters. */
function withoutStepCounters(stateDict: Map<string, TorchTensor>): Map<string, TorchTensor> {
  return new Map([...stateDict].filter(([name, tensor]) => !(STEP_COUNTER.test(name) && FLOAT_READERS[tensor.storage.type.dtype] === undefined)));
}

/** Throws unless the archive holds `data/<key>` of `storage`, exactly as long as its persistent id declares. */
function checkStorageRecord(storage: TorchStorage, members: Map<string, ZipEntry>, source: string): void {
  const entry = members.get(`data/${storage.key}`);
  if (entry === undefined) throw new FormatError(source, `a record data/${storage.key} for storage '${storage.key}'`, 'none');
  if (entry.uncompressedSize !== storage.bytes) {
    throw new FormatError(`${source}[${entry.name}]`, `${storage.bytes} bytes (${storage.numel} × ${storage.type.dtype}, as its persistent id declares)`, `${entry.uncompressedSize} bytes`);
  }
}

/** Decodes the state_dict, reading each storage once (its CRC-32 checked) for all the views into it. */
function decodeStateDict(file: ByteSource, stateDict: Map<string, TorchTensor>, members: Map<string, ZipEntry>, bigEndian: boolean, source: string): Record<string, HostArray> {
  const byStorage = new Map<string, [string, TorchTensor][]>();
  for (const [name, tensor] of stateDict) byStorage.set(tensor.storage.key, [...(byStorage.get(tensor.storage.key) ?? []), [name, tensor]]);
  const decoded = new Map<string, HostArray>();
  for (const [key, views] of byStorage) {
    const entry = members.get(`data/${key}`) as ZipEntry;
    const bytes = readStoredEntry(file, entry, `${source}[${entry.name}]`);
    for (const [name, tensor] of views) decoded.set(name, hostArray(tensor.shape, decodeTensor(tensor, bytes, bigEndian), name));
  }
  return Object.fromEntries([...stateDict.keys()].map((name) => [name, decoded.get(name) as HostArray]));
}

/**
 * Reads the state_dict of a `torch.save` file through random access (`file`): a state_dict, or
 * a checkpoint holding one (`options.key`, or the one entry of `CHECKPOINT_KEYS` that is one),
 * its tensors (float32, float64, float16, bfloat16) as float32 in the state_dict's order, but for
BatchNorm's integer step counters (`bn.num_batches_tracked`), which are left out. Only
 * the pickle and the storages of the state_dict are read; nothing in the file is ever run. Any
 * problem — the legacy format, a TorchScript archive, a pickled `nn.Module`, a global outside
 * the allowlist, a corrupt or truncated archive, a view past its storage, another dtype — is a
 * `FormatError` whose argument is `source` and that says what to do.
 */
export function readTorchFile(file: ByteSource, source: string, options: TorchFileOptions = {}): TorchStateDict {
  checkZip(file, source);
  const { folder, members } = archiveMembers(listZipEntries(file, source, 'a zip archive (torch.save)'), source);
  const bigEndian = readByteOrder(file, members, source);
  checkFormatRecords(file, members, source);
  const pickleEntry = members.get('data.pkl') as ZipEntry;
  const where = `${source}[${folder}/data.pkl]`;
  if (pickleEntry.uncompressedSize > MAX_TORCH_PICKLE_BYTES) throw new FormatError(where, `at most ${MAX_TORCH_PICKLE_BYTES} bytes`, `${pickleEntry.uncompressedSize} bytes`);
  const { hooks, storages } = torchPickle(source);
  const root = unpickle(readStoredEntry(file, pickleEntry, where), hooks, where);
  for (const declared of storages.values()) checkStorageRecord(declared[0], members, source);
  const { stateDict: selected, key } = selectStateDict(root, options.key, source);
  const stateDict = withoutStepCounters(selected);
  checkStateDictTensors(stateDict, source);
  return { tensors: decodeStateDict(file, stateDict, members, bigEndian, source), key };
}

/**
 * Parses the bytes of a `torch.save` file (e.g. `(await fetch(url)).arrayBuffer()`); see
 * `readTorchFile`. `options.source` names the bytes in errors (default `pt`).
 */
export function parseTorchFile(bytes: Uint8Array | ArrayBuffer, options: TorchFileOptions & { source?: string } = {}): TorchStateDict {
  const { source = 'pt', ...rest } = options;
  return readTorchFile(bufferSource(asBytes(bytes, 'bytes')), source, rest);
}
