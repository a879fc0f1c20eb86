import { readFileSync } from 'fs';
import { builtinModules } from 'module';
import { dirname, join, resolve } from 'path';
import { FormatError } from '../../src/errors';
import { HostArray, bufferSource } from '../../src/formats';
import { unpickle } from '../../src/formats/pickle';
import { CHECKPOINT_KEYS, MAX_TORCH_PICKLE_BYTES, parseTorchFile, readTorchFile, sniffTorchFile } from '../../src/formats/torchFile';
import { TorchTensor, torchPickle } from '../../src/formats/torchPickle';
import { listZipEntries, readStoredEntry, serializeZip, zipDataOffset } from '../../src/formats/zip';

/** Files written by real PyTorch 1.13: scripts/make_pt_fixtures.py. */
const PT = join(__dirname, '..', '..', 'fixtures', 'pt');

function bytesOf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(PT, name)));
}

/** `{key: {shape, data}}`: the float32 values of each readable fixture, `.float()` in PyTorch. */
const EXPECTED = JSON.parse(readFileSync(join(PT, 'expected.json'), 'utf8')) as Record<string, Record<string, { shape: number[]; data: number[] }>>;

function expected(name: string): Record<string, HostArray> {
  return Object.fromEntries(Object.entries(EXPECTED[name]).map(([key, { shape, data }]) => [key, { shape, data: Float32Array.from(data) }]));
}

/** The members of an archive, name to bytes, in order. */
function membersOf(archive: Uint8Array): [string, Uint8Array][] {
  const file = bufferSource(archive);
  return listZipEntries(file, 'x').map((entry) => [entry.name, readStoredEntry(file, entry, entry.name).slice()]);
}

/** `archive` with its `data.pkl` replaced (the zip rebuilt, CRCs right), to reach the reader past the CRC check. */
function withPickle(archive: Uint8Array, pickle: Uint8Array): Uint8Array {
  return serializeZip(membersOf(archive).map(([name, data]) => ({ name, data: name.endsWith('/data.pkl') ? pickle : data })), 64);
}

/** One tensor of a hand-made archive: a view into its only storage, `data/0`, of 12 float32 values 0…11. */
interface View {
  name: string;
  shape: number[];
  stride: number[];
  offset?: number;
  location?: string;
  numel?: number;
  /** @default 'FloatStorage' */
  storageClass?: string;
}

/**
 * A torch.save archive made by hand (folder `a`): `data.pkl` pickles the OrderedDict of `views`
 * with the opcodes PyTorch writes, each `_rebuild_tensor_v2(('storage', torch.FloatStorage, '0',
 * location, numel), offset, shape, stride, False, OrderedDict())`.
 */
function handMade(views: View[]): Uint8Array {
  const text = (value: string) => [0x58, ...new Uint8Array(Uint32Array.of(value.length).buffer), ...Buffer.from(value, 'latin1')];
  const global = (module: string, name: string) => [0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1')];
  const int = (value: number) => [0x4a, ...new Uint8Array(Int32Array.of(value).buffer)];
  const tuple = (values: number[]) => [0x28, ...values.flatMap(int), 0x74];
  const orderedDict = [...global('collections', 'OrderedDict'), 0x29, 0x52];
  const pickle = [0x80, 2, ...orderedDict, 0x28];
  for (const { name, shape, stride, offset = 0, location = 'cpu', numel = 12, storageClass = 'FloatStorage' } of views) {
    pickle.push(...text(name), ...global('torch._utils', '_rebuild_tensor_v2'), 0x28, 0x28, ...text('storage'), ...global('torch', storageClass));
    pickle.push(...text('0'), ...text(location), ...int(numel), 0x74, 0x51, ...int(offset), ...tuple(shape), ...tuple(stride), 0x89, ...orderedDict, 0x74, 0x52);
  }
  pickle.push(0x75, 0x2e);
  const storage = new Uint8Array(Float32Array.from({ length: 12 }, (_, i) => i).buffer);
  return serializeZip([{ name: 'a/data.pkl', data: Uint8Array.from(pickle) }, { name: 'a/data/0', data: storage }], 64);
}

function pickleOf(archive: Uint8Array): Uint8Array {
  return (membersOf(archive).find(([name]) => name.endsWith('/data.pkl')) as [string, Uint8Array])[1];
}

describe('files written by torch.save', () => {
  it.each([
    ['rnn_float32.pt', 'float32'],
    ['rnn_float64.pt', 'float64, rounded to float32 as .float() does'],
    ['rnn_float16.pt', 'float16'],
    ['rnn_bfloat16.pt', 'bfloat16'],
    ['gru_views.pt', "views into one storage at their own offsets (cuDNN's flat weights), saved on cuda:0"],
    ['rnn_noncontiguous.pt', 'non-contiguous views: transposed strides, a column slice from storage_offset 1'],
    ['big_endian.pt', "byteorder 'big': every storage byte-swapped, float64, float32, float16 and bfloat16 in one file"],
    ['torch2_layout.pt', "PyTorch 2.x's layout: .format_version, .storage_alignment, byteorder, 64-byte aligned data"],
    ['pytorch_model.bin', "another name and extension than the archive's folder (model/)"],
  ])('%s: %s, as float32 in state_dict order', (name) => {
    const { tensors, key } = parseTorchFile(bytesOf(name), { source: name });
    expect(key).toBeUndefined();
    expect(Object.keys(tensors)).toEqual(Object.keys(EXPECTED[name]));
    expect(tensors).toEqual(expected(name));
  });

  it('reads an ArrayBuffer as well as a Uint8Array, and names the bytes "pt" in errors by default', () => {
    const bytes = bytesOf('rnn_float32.pt');
    const copy = bytes.slice().buffer;
    expect(parseTorchFile(copy).tensors).toEqual(expected('rnn_float32.pt'));
    expect(() => parseTorchFile(new Uint8Array(10))).toThrow(/^pt: expected a PyTorch file/);
    expect(() => parseTorchFile('x.pt' as unknown as Uint8Array)).toThrow('bytes: expected a Uint8Array or an ArrayBuffer, got x.pt');
  });
});

describe('checkpoints', () => {
  it(`finds the state_dict under ${CHECKPOINT_KEYS.map((key) => `'${key}'`).join(', ')}, past the optimizer state, integer tensors and Python values`, () => {
    const { tensors, key } = parseTorchFile(bytesOf('checkpoint.pt'), { source: 'checkpoint.pt' });
    expect(key).toBe('model');
    expect(tensors).toEqual(expected('checkpoint.pt'));
  });

  it("reads only the pickle and the state_dict's storages through random access, not the optimizer's", () => {
    const archive = bytesOf('checkpoint.pt');
    const reads: [number, number][] = [];
    const file = { length: archive.length, read: (offset: number, length: number) => (reads.push([offset, offset + length]), archive.subarray(offset, offset + length)) };
    expect(readTorchFile(file, 'checkpoint.pt').tensors).toEqual(expected('checkpoint.pt'));
    const root = unpickle(pickleOf(archive), torchPickle('c').hooks, 'c') as Map<string, Map<string, TorchTensor>>;
    const modelKeys = new Set([...(root.get('model') as Map<string, TorchTensor>).values()].map((tensor) => tensor.storage.key));
    const zip = bufferSource(archive);
    const others = listZipEntries(zip, 'c').filter((entry) => /\/data\/\d+$/.test(entry.name) && !modelKeys.has(entry.name.split('/').pop() as string));
    expect(others.length).toBeGreaterThan(2 * modelKeys.size); // exp_avg, exp_avg_sq and step of every parameter, and 'steps'
    for (const entry of others) {
      const start = zipDataOffset(zip, entry, entry.name);
      const end = start + entry.uncompressedSize;
      // The search for the end-of-directory record reads the last 64 KiB: here the whole small file.
      const overlapping = reads.filter(([from, to]) => from < end && to > start && to !== archive.length);
      expect([entry.name, overlapping]).toEqual([entry.name, []]);
    }
  });

  it('reads the entry a key names', () => {
    expect(parseTorchFile(bytesOf('custom_key.pt'), { key: 'weights' })).toEqual({ tensors: expected('custom_key.pt'), key: 'weights' });
    expect(parseTorchFile(bytesOf('checkpoint.pt'), { key: 'model' }).tensors).toEqual(expected('checkpoint.pt'));
    expect(Object.keys(parseTorchFile(bytesOf('two_state_dicts.pt'), { key: 'state_dict' }).tensors)).toEqual(Object.keys(EXPECTED['gru_views.pt']));
  });

  it.each([
    ['custom_key.pt', undefined, "c.pt: expected a state_dict, or a checkpoint holding one under 'state_dict', 'model_state_dict', 'model', 'net' (or a key given with --weights-key or { key }), got a dict of keys 'weights', 'epoch'"],
    ['two_state_dicts.pt', undefined, "c.pt: expected one state_dict among the checkpoint entries (choose one with --weights-key or { key }), got state_dicts under 'state_dict' and 'model'"],
    ['custom_key.pt', 'model', "c.pt: expected a checkpoint dict with an entry 'model', got a dict of keys 'weights', 'epoch'"],
    ['custom_key.pt', 'epoch', "c.pt['epoch']: expected a state_dict: a dict of parameter names to tensors, got the number 1"],
    ['checkpoint.pt', 'optimizer', "c.pt['optimizer']: expected a state_dict: a dict of parameter names to tensors, got a dict of keys 'state', 'param_groups'"],
    ['rnn_float32.pt', 'weight_ih_l0', "c.pt['weight_ih_l0']: expected a state_dict: a dict of parameter names to tensors, got a tensor [4, 3] float32"],
  ])('%s with key %s: says where the state_dicts are', (name, key, message) => {
    expect(() => parseTorchFile(bytesOf(name), { key, source: 'c.pt' })).toThrow(FormatError);
    expect(() => parseTorchFile(bytesOf(name), { key, source: 'c.pt' })).toThrow(message);
  });
});

describe('files refused, saying what they are and what to do', () => {
  it.each([
    ['legacy.pt', 'expected a PyTorch file (the zip archive torch.save writes), got the legacy torch.save format (PyTorch < 1.6, or _use_new_zipfile_serialization=False): re-save it in Python with torch.save(torch.load(old), new) to get the zip format'],
    ['torchscript.pt', 'expected a state_dict saved with torch.save, got a TorchScript archive (torch.jit.save): save its weights in Python with torch.save(module.state_dict(), path)'],
    ['module.pt', 'expected a state_dict (torch.save(model.state_dict(), path)), got a whole pickled nn.Module (torch.nn.modules.rnn.GRU); load it in Python and save model.state_dict() instead'],
    ['custom_module.pt', 'expected a state_dict (torch.save(model.state_dict(), path)), got a whole pickled nn.Module (__main__.Net); load it in Python and save model.state_dict() instead'],
    ['system.pt', /expected only the globals a state_dict needs \(collections\.OrderedDict, .*\), got the global posix\.system, which is never resolved or called$/],
    ['numpy_scalar.pt', /got the global numpy\.dtype, which is never resolved or called$/],
    ['complex.pt', 'weight_ih_l0: expected a tensor of dtype float32, float64, float16, bfloat16, got dtype complex64 (torch.ComplexFloatStorage)'],
    ['int64_state_dict.pt', 'weight_ih_l0: expected a tensor of dtype float32, float64, float16, bfloat16, got dtype int64 (torch.LongStorage)'],
    ['bare_pickle.pt', 'expected a PyTorch file (the zip archive torch.save writes), got a bare Python pickle (pickle.dump, not torch.save): save the state_dict with torch.save(model.state_dict(), path)'],
    ['short_storage.pt', "expected a view within storage '0' of 8 elements, got size [3, 4], stride [4, 1] from offset 0, reaching element 11"],
  ])('%s', (name, message) => {
    const read = () => parseTorchFile(bytesOf(name), { source: name });
    expect(read).toThrow(FormatError);
    expect(read).toThrow(typeof message === 'string' ? `${name}: ${message}` : message);
  });

  it('tells files apart by their first bytes', () => {
    expect(['rnn_float32.pt', 'torchscript.pt', 'legacy.pt', 'bare_pickle.pt'].map((name) => sniffTorchFile(bytesOf(name)))).toEqual(['zip', 'zip', 'legacy', 'pickle']);
    const tar = new Uint8Array(512);
    tar.set(new TextEncoder().encode('ustar'), 257);
    expect(sniffTorchFile(tar)).toBe('legacy');
    expect(sniffTorchFile(new TextEncoder().encode('{"a": 1}'))).toBeUndefined();
  });

  it('refuses a storage record missing or of another size than its persistent id declares', () => {
    const archive = bytesOf('rnn_float32.pt');
    const members = membersOf(archive);
    const without = serializeZip(members.filter(([name]) => name !== 'rnn_float32/data/3').map(([name, data]) => ({ name, data })));
    expect(() => parseTorchFile(without, { source: 'x.pt' })).toThrow("x.pt: expected a record data/3 for storage '3', got none");
    const shorter = serializeZip(members.map(([name, data]) => ({ name, data: name === 'rnn_float32/data/3' ? data.subarray(4) : data })));
    expect(() => parseTorchFile(shorter, { source: 'x.pt' })).toThrow('x.pt[rnn_float32/data/3]: expected 16 bytes (4 × float32, as its persistent id declares), got 12 bytes');
  });

  it('refuses a byteorder, .format_version or .storage_alignment it does not know', () => {
    const members = membersOf(bytesOf('torch2_layout.pt'));
    const patched = (record: string, text: string) =>
      serializeZip(members.map(([name, data]) => ({ name, data: name === `archive/${record}` ? new TextEncoder().encode(text) : data })), 64);
    expect(() => parseTorchFile(patched('byteorder', 'middle'), { source: 'x.pt' })).toThrow('x.pt[byteorder]: expected \'little\' or \'big\', got "middle"');
    expect(() => parseTorchFile(patched('.format_version', '2'), { source: 'x.pt' })).toThrow('x.pt[.format_version]: expected format version 1 (the one this reader knows), got "2"');
    expect(() => parseTorchFile(patched('.storage_alignment', '-64'), { source: 'x.pt' })).toThrow('x.pt[.storage_alignment]: expected a positive integer, got "-64"');
  });

  it('refuses a zip archive that is not one of torch.save', () => {
    const npz = serializeZip([{ name: 'x.npy', data: new Uint8Array(4) }]);
    expect(() => parseTorchFile(npz, { source: 'x.pt' })).toThrow("x.pt: expected a torch.save archive whose members are in one folder (archive/data.pkl), got a first member 'x.npy'");
    const other = serializeZip([{ name: 'a/readme.txt', data: new Uint8Array(4) }]);
    expect(() => parseTorchFile(other, { source: 'x.pt' })).toThrow("x.pt: expected a torch.save archive with a/data.pkl, got members 'a/readme.txt'");
  });

  it(`refuses a data.pkl over ${MAX_TORCH_PICKLE_BYTES} bytes before reading it`, () => {
    const archive = bytesOf('rnn_float32.pt');
    const pickle = pickleOf(archive);
    const large = new Uint8Array(MAX_TORCH_PICKLE_BYTES + 1);
    large.set(pickle);
    expect(() => parseTorchFile(withPickle(archive, large), { source: 'x.pt' })).toThrow(`x.pt[rnn_float32/data.pkl]: expected at most ${MAX_TORCH_PICKLE_BYTES} bytes, got ${MAX_TORCH_PICKLE_BYTES + 1} bytes`);
  });

  it('refuses views that would decode more values than their storages hold bytes (a small file made large)', () => {
    const views = Array.from({ length: 50 }, (_, i) => ({ name: `weight_${i}`, shape: [12], stride: [1] }));
    expect(() => parseTorchFile(handMade(views), { source: 'x.pt' })).toThrow('x.pt: expected tensors of at most 48 values (one per byte of their storages, at most 536870912), got 600 values');
    expect(parseTorchFile(handMade(views.slice(0, 4))).tensors.weight_3).toEqual({ shape: [12], data: Float32Array.from({ length: 12 }, (_, i) => i) });
  });

  it.each([
    [{ shape: [4, 4], stride: [3, 1] }, "size [4, 4], stride [3, 1] from offset 0, reaching element 12"],
    [{ shape: [2], stride: [1], offset: 11 }, "size [2], stride [1] from offset 11, reaching element 12"],
    [{ shape: [2, 3], stride: [1] }, 'x.pt: expected a stride for each of the 2 dimensions, got [1]'],
    [{ shape: [12], stride: [1], location: 'xla:0' }, "x.pt: expected storage '0' at location cpu, cuda, cuda:N or mps, got 'xla:0'"],
    [{ shape: [12], stride: [1], numel: 13 }, 'x.pt[a/data/0]: expected 52 bytes (13 × float32, as its persistent id declares), got 48 bytes'],
  ])('refuses a view past its storage, or a storage unlike its record: %j', (view, message) => {
    expect(() => parseTorchFile(handMade([{ name: 'weight', ...view }]), { source: 'x.pt' })).toThrow(FormatError);
    expect(() => parseTorchFile(handMade([{ name: 'weight', ...view }]), { source: 'x.pt' })).toThrow(message);
  });

  it('refuses one storage declared as two types (torch.save never writes it; torch.load would read it as the first)', () => {
    const views = [
      { name: 'weight', shape: [12], stride: [1] },
      { name: 'bias', shape: [6], stride: [1], numel: 6, storageClass: 'DoubleStorage' },
    ];
    expect(() => parseTorchFile(handMade(views), { source: 'x.pt' })).toThrow(FormatError);
    expect(() => parseTorchFile(handMade(views), { source: 'x.pt' })).toThrow("x.pt: expected storage '0' of one type, as declared before (torch.FloatStorage), got torch.DoubleStorage");
    expect(() => parseTorchFile(handMade([views[1], { ...views[0], name: 'weight' }]), { source: 'x.pt' })).toThrow(
      "x.pt: expected storage '0' of one type, as declared before (torch.DoubleStorage), got torch.FloatStorage",
    );
  });

  it('reads a zero-size view and a scalar', () => {
    const { tensors } = parseTorchFile(handMade([{ name: 'weight', shape: [0, 3], stride: [3, 1] }, { name: 'bias', shape: [], stride: [], offset: 5 }]));
    expect(tensors).toEqual({ weight: { shape: [0, 3], data: new Float32Array(0) }, bias: { shape: [], data: Float32Array.of(5) } });
  });
});

describe('damaged files', () => {
  const name = 'checkpoint.pt';
  const archive = bytesOf(name);
  const original = parseTorchFile(archive, { source: name });

  /**
   * Parses `bytes`: the original result (any result with `anyResult`), or a FormatError; anything
   * else (a crash, another exception) fails.
   */
  function outcome(bytes: Uint8Array, what: string, anyResult = false): 'read' | 'refused' {
    try {
      const result = parseTorchFile(bytes, { source: name });
      if (!anyResult) expect([what, result]).toEqual([what, original]);
      return 'read';
    } catch (error) {
      if (error instanceof FormatError) return 'refused';
      throw new Error(`${what}: ${(error as Error).stack}`);
    }
  }

  let seed = 2024;
  const random = (below: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * below);

  it('refuses the file cut at 200 offsets, always with a FormatError', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => Math.floor((i * archive.length) / 200));
    expect(offsets.map((at) => outcome(archive.subarray(0, at), `cut at ${at}`))).toEqual(offsets.map(() => 'refused'));
  });

  it('reads the same or refuses with a FormatError after 300 random byte flips; CRC-32 catches every flip in data', () => {
    const results = Array.from({ length: 300 }, () => {
      const at = random(archive.length);
      const flipped = archive.slice();
      flipped[at] ^= 1 + random(255);
      return outcome(flipped, `byte ${at} flipped`);
    });
    expect(results).toContain('refused');
  });

  it('reads data.pkl cut or flipped past its CRC-32 (re-zipped) or refuses it with a FormatError, nothing else', () => {
    const pickle = pickleOf(archive);
    const results = Array.from({ length: 200 }, (_, i) => {
      const damaged = i % 2 === 0 ? pickle.subarray(0, random(pickle.length)) : pickle.slice();
      if (i % 2 === 1) damaged[random(pickle.length)] ^= 1 + random(255);
      return outcome(withPickle(archive, damaged), `data.pkl damaged (${i})`, true);
    });
    expect(results).toContain('refused');
  });

  it("reads every value of a checkpoint's pickle, the optimizer's and Python's too, with the allowlist", () => {
    const root = unpickle(pickleOf(archive), torchPickle(name).hooks, name) as Map<string, unknown>;
    expect([...root.keys()]).toEqual(['epoch', 'model', 'optimizer', 'loss', 'name', 'big', 'neg_big', 'blob', 'dtype', 'shape', 'steps', 'flags', 'nested']);
    expect([root.get('epoch'), root.get('loss'), root.get('name'), root.get('big'), root.get('neg_big')]).toEqual([3, 0.25, 'run-1', 2n ** 60n, -(2n ** 70n)]);
    expect(root.get('blob')).toEqual(Uint8Array.of(0, 255));
    expect(root.get('shape')).toEqual([2, 3]);
    expect(root.get('flags')).toEqual([true, null]);
    expect((root.get('nested') as Map<string, unknown>).get('pair')).toEqual([1, 2.5]);
  });
});

describe('for browsers', () => {
  /** Every module `file` imports, itself included, following relative imports. */
  function importsOf(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
    if (seen.has(file)) return seen;
    const specifiers = [...readFileSync(file, 'utf8').matchAll(/^import [^;]* from '([^']+)';$/gm)].map((match) => match[1]);
    seen.set(file, specifiers);
    specifiers.filter((specifier) => specifier.startsWith('.')).forEach((specifier) => importsOf(`${resolve(dirname(file), specifier)}.ts`, seen));
    return seen;
  }

  it.each(['torchFile.ts', 'torchWriter.ts'])('%s imports nothing from Node, at any depth', (name) => {
    const imports = importsOf(join(__dirname, '..', '..', 'src', 'formats', name));
    const node = [...imports].flatMap(([file, specifiers]) => specifiers.filter((specifier) => builtinModules.includes(specifier.replace(/^node:/, ''))).map((specifier) => `${file}: ${specifier}`));
    expect(imports.size).toBeGreaterThan(3);
    expect(node).toEqual([]);
  });
});
