import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { HostArray, bufferSource, hostArray } from '../../src/formats';
import { parseTorchFile } from '../../src/formats/torchFile';
import { TORCH_STORAGE_ALIGNMENT, serializeTorchFile } from '../../src/formats/torchWriter';
import { listZipEntries, readStoredEntry, zipDataOffset } from '../../src/formats/zip';
import { itWithTorch, runPython } from '../helpers/python';

/** A state_dict of every rank, sizes that take BININT1, BININT2 and BININT, an empty tensor and non-ASCII keys. */
const TENSORS: Record<string, HostArray> = {
  weight_ih_l0: hostArray([4, 3], Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 7)),
  bias_ih_l0: hostArray([4], Float32Array.of(1e-30, -0, 3.4028234663852886e38, -1.5)),
  'encoder.scalé': hostArray([], Float32Array.of(Math.PI)),
  empty: hostArray([0, 5], new Float32Array(0)),
  long: hostArray([70000], Float32Array.from({ length: 70000 }, (_, i) => i)),
};

describe('serializeTorchFile', () => {
  const bytes = serializeTorchFile(TENSORS);

  it('reads back as the same float32 tensors in the same order', () => {
    const { tensors } = parseTorchFile(bytes);
    expect(Object.keys(tensors)).toEqual(Object.keys(TENSORS));
    expect(tensors).toEqual(TENSORS);
  });

  it("lays the archive out as PyTorch 2.x: archive/ members, 64-byte aligned storages, byteorder, format version and alignment", () => {
    const file = bufferSource(bytes);
    const entries = listZipEntries(file, 'x.pt');
    expect(entries.map((entry) => entry.name)).toEqual([
      'archive/data.pkl',
      'archive/.format_version',
      'archive/.storage_alignment',
      'archive/byteorder',
      ...Object.keys(TENSORS).map((_, i) => `archive/data/${i}`),
      'archive/version',
    ]);
    expect(entries.map((entry) => zipDataOffset(file, entry, entry.name) % TORCH_STORAGE_ALIGNMENT)).toEqual(entries.map(() => 0));
    const text = (name: string) => new TextDecoder().decode(readStoredEntry(file, entries.find((entry) => entry.name === `archive/${name}`) as (typeof entries)[0], name));
    expect([text('.format_version'), text('.storage_alignment'), text('byteorder'), text('version')]).toEqual(['1', '64', 'little', '3\n']);
  });

  it('refuses a tensor whose data does not fill its shape, naming it', () => {
    expect(() => serializeTorchFile({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow('w: expected 4 values for shape [2, 2], got 3');
  });

  itWithTorch("is read by torch.load(path, weights_only=True) into an OrderedDict of the same float32 tensors", async (python) => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'tfjs-rnn-pt-'));
    try {
      const path = join(dir, 'state.pt');
      await fs.writeFile(path, bytes);
      const script = [
        'import json, sys, torch',
        'state = torch.load(sys.argv[1], weights_only=True)',
        'print(json.dumps({"type": type(state).__name__, "entries": [[k, str(v.dtype), list(v.shape), v.reshape(-1).tolist()] for k, v in state.items()]}))',
      ].join('\n');
      const loaded = JSON.parse(runPython(python, script, [path])) as { type: string; entries: [string, string, number[], number[]][] };
      expect(loaded.type).toBe('OrderedDict');
      expect(loaded.entries.map(([key, dtype, shape, data]) => [key, dtype, hostArray(shape, Float32Array.from(data))])).toEqual(
        Object.entries(TENSORS).map(([key, tensor]) => [key, 'torch.float32', tensor]),
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
