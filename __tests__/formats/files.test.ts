import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FormatError } from '../../src/errors';
import { HostArray, hostArray, loadStateDict, saveStateDict, serializeSafetensors, serializeTorchFile, writeFileAtomic } from '../../src/formats';

const TENSORS: Record<string, HostArray> = {
  weight_ih_l0: hostArray([2, 3], Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6)),
  weight_hh_l0: hostArray([2, 2], Float32Array.of(1, 2, 3, 4)),
};

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'tfjs-rnn-formats-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('saveStateDict and loadStateDict', () => {
  it.each(['model.safetensors', 'model.json', 'MODEL.JSON', 'model.pt', 'model.pth', 'pytorch_model.bin'])('round-trip %s, leaving no temp file', async (name) => {
    const path = join(dir, name);
    await saveStateDict(path, TENSORS);
    expect(await loadStateDict(path)).toEqual(TENSORS);
    expect(await fs.readdir(dir)).toEqual([name]);
  });

  it("write .json as nested lists, .safetensors as F32 and .pt as torch.save's archive", async () => {
    await saveStateDict(join(dir, 'model.json'), TENSORS);
    await saveStateDict(join(dir, 'model.safetensors'), TENSORS);
    await saveStateDict(join(dir, 'model.pt'), TENSORS);
    expect(JSON.parse(await fs.readFile(join(dir, 'model.json'), 'utf8')).weight_hh_l0).toEqual([[1, 2], [3, 4]]);
    expect(new Uint8Array(await fs.readFile(join(dir, 'model.safetensors')))).toEqual(serializeSafetensors(TENSORS));
    expect(new Uint8Array(await fs.readFile(join(dir, 'model.pt')))).toEqual(serializeTorchFile(TENSORS));
  });

  it('replace an existing file', async () => {
    const path = join(dir, 'model.json');
    await fs.writeFile(path, 'old');
    await saveStateDict(path, TENSORS);
    expect(await loadStateDict(path)).toEqual(TENSORS);
  });

  it.each(['model', 'model.safetensors.bak', 'model.npz'])('save: reject the extension of %s, naming the file', async (name) => {
    const path = join(dir, name);
    const message = new RegExp(`^${path.replace(/[.\\]/g, '\\$&')}: expected a file ending in \\.pt, \\.pth, \\.bin, \\.safetensors or \\.json, got `);
    await expect(saveStateDict(path, TENSORS)).rejects.toThrow(FormatError);
    await expect(saveStateDict(path, TENSORS)).rejects.toThrow(message);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('save: name the extension it rejects', async () => {
    await expect(saveStateDict(join(dir, 'model.txt'), TENSORS)).rejects.toThrow(/got '\.txt'$/);
    await expect(saveStateDict(join(dir, 'model'), TENSORS)).rejects.toThrow(/got no extension$/);
  });

  it('load: tell the format by the content, whatever the name', async () => {
    const pt = serializeTorchFile(TENSORS);
    const safetensors = serializeSafetensors(TENSORS);
    const json = JSON.stringify({ weight_ih_l0: [[0.1, -0.2, 0.3], [0.4, -0.5, 0.6]], weight_hh_l0: [[1, 2], [3, 4]] });
    for (const [name, bytes] of [['a.safetensors', pt], ['a.json', pt], ['a', pt], ['b.bin', safetensors], ['b', safetensors], ['c.txt', json]] as const) {
      await fs.writeFile(join(dir, name), bytes);
      expect([name, await loadStateDict(join(dir, name))]).toEqual([name, TENSORS]);
    }
  });

  it('load: take safetensors whose header length starts with the byte a pickle starts with (0x80) for safetensors', async () => {
    let note = '';
    let bytes = serializeSafetensors(TENSORS, { note });
    while (new DataView(bytes.buffer).getUint32(0, true) !== 0x180) bytes = serializeSafetensors(TENSORS, { note: (note += 'x') });
    expect([bytes[0], bytes[1]]).toEqual([0x80, 0x01]);
    await fs.writeFile(join(dir, 'model.bin'), bytes);
    expect(await loadStateDict(join(dir, 'model.bin'))).toEqual(TENSORS);
  });

  it('load: reject content of no state_dict format, showing how it starts', async () => {
    await fs.writeFile(join(dir, 'model.txt'), 'hello, world');
    await fs.writeFile(join(dir, 'empty.pt'), '');
    await expect(loadStateDict(join(dir, 'model.txt'))).rejects.toThrow(FormatError);
    await expect(loadStateDict(join(dir, 'model.txt'))).rejects.toThrow(`${join(dir, 'model.txt')}: expected a state_dict file: PyTorch (torch.save), safetensors or JSON, got a file starting with "hello, world"`);
    await expect(loadStateDict(join(dir, 'empty.pt'))).rejects.toThrow(`${join(dir, 'empty.pt')}: expected a state_dict file: PyTorch (torch.save), safetensors or JSON, got an empty file`);
  });

  it("load: a PyTorch checkpoint's state_dict, found or named by key; a key only for PyTorch files", async () => {
    const checkpoint = join(__dirname, '..', '..', 'fixtures', 'pt', 'checkpoint.pt');
    const found = await loadStateDict(checkpoint);
    expect(Object.keys(found)).toContain('weight_hr_l0');
    expect(await loadStateDict(checkpoint, { key: 'model' })).toEqual(found);
    await expect(loadStateDict(checkpoint, { key: 'optimizer' })).rejects.toThrow(`${checkpoint}['optimizer']: expected a state_dict: a dict of parameter names to tensors, got a dict of keys 'state', 'param_groups'`);
    await saveStateDict(join(dir, 'model.safetensors'), TENSORS);
    await expect(loadStateDict(join(dir, 'model.safetensors'), { key: 'model' })).rejects.toThrow(
      `key: expected a PyTorch file, whose checkpoint entry it names, got ${join(dir, 'model.safetensors')}, a safetensors file`,
    );
  });

  it('reject a missing file, naming it', async () => {
    const path = join(dir, 'missing.json');
    await expect(loadStateDict(path)).rejects.toThrow(FormatError);
    await expect(loadStateDict(path)).rejects.toThrow(`${path}: expected a readable file, got no such file`);
  });

  it('name the file in errors about its contents', async () => {
    const path = join(dir, 'broken.safetensors');
    await fs.writeFile(path, 'abc');
    await expect(loadStateDict(path)).rejects.toThrow(`${path}: expected at least 8 bytes (the u64 header length), got 3 bytes`);
    const jsonPath = join(dir, 'broken.json');
    await fs.writeFile(jsonPath, '{"w": [[1, 2], [3]]}');
    await expect(loadStateDict(jsonPath)).rejects.toThrow(`${jsonPath}: expected w[1] to be a list of length 2 like w[0], got a list of length 1`);
    const ptPath = join(dir, 'legacy.pth');
    await fs.copyFile(join(__dirname, '..', '..', 'fixtures', 'pt', 'legacy.pt'), ptPath);
    await expect(loadStateDict(ptPath)).rejects.toThrow(`${ptPath}: expected a PyTorch file (the zip archive torch.save writes), got the legacy torch.save format`);
  });
});

describe('writeFileAtomic', () => {
  it('writes strings and bytes', async () => {
    await writeFileAtomic(join(dir, 'a.txt'), 'héllo');
    await writeFileAtomic(join(dir, 'b.bin'), Uint8Array.of(1, 2, 255));
    expect(await fs.readFile(join(dir, 'a.txt'), 'utf8')).toBe('héllo');
    expect(new Uint8Array(await fs.readFile(join(dir, 'b.bin')))).toEqual(Uint8Array.of(1, 2, 255));
    expect((await fs.readdir(dir)).sort()).toEqual(['a.txt', 'b.bin']);
  });

  it('fails with a FormatError naming the path when the directory does not exist', async () => {
    const path = join(dir, 'absent', 'model.json');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(FormatError);
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(`${path}: expected a writable file path, got ENOENT`);
  });

  it('removes its temp file when the rename fails, and keeps what was there', async () => {
    const path = join(dir, 'taken');
    await fs.mkdir(path);
    await fs.writeFile(join(path, 'inside'), 'kept');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(new RegExp(`^${path.replace(/[.\\]/g, '\\$&')}: expected a writable file path`));
    expect(await fs.readdir(dir)).toEqual(['taken']);
    expect(await fs.readFile(join(path, 'inside'), 'utf8')).toBe('kept');
  });
});
