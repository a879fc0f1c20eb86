import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ArgumentError, FormatError, LayersWholeModel, initBackend } from '../../src';
import { loadModelFixture, npyTensor } from '../helpers/modelFixtures';

/**
 * `file://` model folders in Node without tfjs-node (no tfjs-node is installed here): importing
 * the package registers routers for `tf.loadLayersModel` and `model.save`, over the one reader
 * and writer of model folders the CLI uses too (src/formats/modelFiles.ts).
 */

let dir: string;

beforeAll(async () => {
  await initBackend('cpu');
});

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'tfjs-rnn-file-url-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The bytes of `tensor`'s values: equal bytes are equal bits, -0 and NaN payloads included. */
function bitsOf(tensor: tf.Tensor): Uint8Array {
  return new Uint8Array(Float32Array.from(tensor.dataSync()).buffer);
}

/** The fixture's input and lengths `[N, 1]` as a saved twin takes them. */
function inputsOf(fixture: Awaited<ReturnType<typeof loadModelFixture>>): { input: tf.Tensor; lengths: tf.Tensor2D } {
  const input = npyTensor(fixture.inputPath);
  const lengths = fixture.lengths ?? new Array<number>(input.shape[0]).fill(input.shape[1] as number);
  return { input, lengths: tf.tensor2d(lengths, [lengths.length, 1]) };
}

describe('model.save and tf.loadLayersModel with file:// URLs', () => {
  it.each(['gru_classifier', 'lstm_tagger', 'gru_norm_mlp'])(
    '%s: a LayersWholeModel saved to file:// loads back to the same outputs, bit for bit, without leaks',
    async (name) => {
      const fixture = await loadModelFixture(name);
      expect(fixture.spec.batch_first).toBe(true); // predict's batching takes batch-first inputs
      const model = new LayersWholeModel(fixture.spec, fixture.stateDict);
      const { input, lengths } = inputsOf(fixture);
      try {
        const before = tf.memory().numTensors;
        const saved = await model.save(`file://${join(dir, 'twin')}`);
        expect(saved.modelArtifactsInfo.weightDataBytes).toBeGreaterThan(0);
        expect((await fs.readdir(join(dir, 'twin'))).sort()).toEqual(['model.json', 'weights.bin']);
        const loaded = await tf.loadLayersModel(`file://${join(dir, 'twin', 'model.json')}`);
        const expected = model.predict(input, { lengths: fixture.lengths });
        const actual = loaded.predict([input, lengths]) as tf.Tensor;
        expect(actual.shape).toEqual(expected.shape);
        expect(bitsOf(actual)).toEqual(bitsOf(expected));
        tf.dispose([expected, actual]);
        loaded.dispose();
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        model.dispose();
        tf.dispose([input, lengths]);
      }
    },
  );

  it('a path ending in .json is the model.json itself, a folder path holds model.json; relative paths are from the working directory', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      await model.save('file://out/named.json');
      expect((await fs.readdir(join(dir, 'out'))).sort()).toEqual(['named.json', 'weights.bin']);
      (await tf.loadLayersModel('file://./out/named.json')).dispose();
      await model.save('file://folder');
      (await tf.loadLayersModel('file://folder')).dispose();
      expect((await fs.readdir(join(dir, 'folder'))).sort()).toEqual(['model.json', 'weights.bin']);
    } finally {
      process.chdir(cwd);
      model.dispose();
    }
  });

  it('saving over the files a model was loaded from replaces them whole', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    await model.save(`file://${dir}`);
    const loaded = await tf.loadLayersModel(`file://${join(dir, 'model.json')}`);
    await loaded.save(`file://${dir}`);
    const again = await tf.loadLayersModel(`file://${join(dir, 'model.json')}`);
    const input = tf.ones([1, 3]);
    const [expected, actual] = [model, again].map((m) => m.predict(input) as tf.Tensor);
    expect(bitsOf(actual)).toEqual(bitsOf(expected));
    expect((await fs.readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    tf.dispose([input, expected, actual]);
    [model, loaded, again].forEach((m) => m.dispose());
  });

  it('a save that cannot write one file writes neither: the old files stay whole, no temp file remains, the folders it made are removed', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const other = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] })] });
    try {
      // An existing model folder whose model.json cannot be replaced (a directory took its name): weights.bin stays the old one.
      await other.save(`file://${join(dir, 'old')}`);
      const oldWeights = await fs.readFile(join(dir, 'old', 'weights.bin'));
      await fs.rename(join(dir, 'old', 'model.json'), join(dir, 'old.json'));
      await fs.mkdir(join(dir, 'old', 'model.json'));
      await fs.writeFile(join(dir, 'old', 'model.json', 'keep'), 'x');
      await expect(model.save(`file://${join(dir, 'old')}`)).rejects.toThrow(FormatError);
      expect((await fs.readdir(join(dir, 'old'))).sort()).toEqual(['model.json', 'weights.bin']);
      expect(await fs.readFile(join(dir, 'old', 'weights.bin'))).toEqual(oldWeights);
      // weights.bin a directory: model.json is not written either.
      await fs.mkdir(join(dir, 'blocked', 'weights.bin'), { recursive: true });
      await fs.writeFile(join(dir, 'blocked', 'weights.bin', 'keep'), 'x');
      await expect(model.save(`file://${join(dir, 'blocked')}`)).rejects.toThrow(FormatError);
      expect(await fs.readdir(join(dir, 'blocked'))).toEqual(['weights.bin']);
      // Under a file: the folders it made are removed.
      await fs.writeFile(join(dir, 'file'), 'x');
      await expect(model.save(`file://${join(dir, 'file', 'a', 'b')}`)).rejects.toThrow(/file\/a: expected a directory that can be made, got ENOTDIR/);
      expect((await fs.readdir(dir)).sort()).toEqual(['blocked', 'file', 'old', 'old.json']);
    } finally {
      model.dispose();
      other.dispose();
    }
  });

  it('file:// with no path is an ArgumentError naming the URL', async () => {
    await expect(tf.loadLayersModel('file://')).rejects.toThrow(ArgumentError);
    await expect(tf.loadLayersModel('file://')).rejects.toThrow("url: expected a file:// URL with a path (file:///abs/model.json, file://./model), got 'file://'");
  });
});

describe('loading refuses hostile model folders with a FormatError naming the file', () => {
  /** A saved dense model in `dir`; returns its model.json, parsed, for the test to change. */
  async function saved(): Promise<Record<string, unknown>> {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    await model.save(`file://${dir}`);
    model.dispose();
    return JSON.parse(await fs.readFile(join(dir, 'model.json'), 'utf8'));
  }
  const modelJson = (): string => join(dir, 'model.json');
  const load = (): Promise<tf.LayersModel> => tf.loadLayersModel(`file://${modelJson()}`);
  async function setPaths(json: Record<string, unknown>, paths: unknown[]): Promise<void> {
    const [group] = json.weightsManifest as Record<string, unknown>[];
    await fs.writeFile(modelJson(), JSON.stringify({ ...json, weightsManifest: [{ ...group, paths }] }));
  }

  it('a model.json that is a directory, a FIFO, /dev/zero, missing, or not JSON', async () => {
    await fs.mkdir(modelJson());
    await expect(load()).rejects.toThrow(`${modelJson()}: expected a regular file, got a directory`);
    await fs.rmdir(modelJson());
    execFileSync('mkfifo', [modelJson()]);
    await expect(load()).rejects.toThrow(`${modelJson()}: expected a regular file, got a FIFO (named pipe)`);
    await fs.rm(modelJson());
    await fs.symlink('/dev/zero', modelJson());
    await expect(load()).rejects.toThrow(`${modelJson()}: expected a regular file, got a character device`);
    await fs.rm(modelJson());
    await expect(load()).rejects.toThrow(`${modelJson()}: expected a readable file, got no such file`);
    await fs.writeFile(modelJson(), '{"modelTopology": ');
    await expect(load()).rejects.toThrow(FormatError);
    await fs.writeFile(modelJson(), '{"modelTopology": {}}');
    await expect(load()).rejects.toThrow(`${modelJson()}: expected a tfjs model.json: an object with modelTopology and weightsManifest, got weightsManifest missing`);
  });

  it.each([
    ['through ..', '../weights.bin'],
    ['absolute', '/etc/passwd'],
    ['the folder itself', '.'],
    ['not a string', 7],
  ])('a weights path %s', async (_, path) => {
    await setPaths(await saved(), [path]);
    await expect(load()).rejects.toThrow(`${modelJson()}: weightsManifest: expected weight file paths inside the model's folder, got ${JSON.stringify(path)}`);
  });

  it('a weights file linking out of the folder (to a file of the right size, or to /dev/zero)', async () => {
    await saved();
    const outside = await fs.mkdtemp(join(tmpdir(), 'tfjs-rnn-outside-'));
    try {
      await fs.rename(join(dir, 'weights.bin'), join(outside, 'weights.bin'));
      await fs.symlink(join(outside, 'weights.bin'), join(dir, 'weights.bin'));
      const realDir = await fs.realpath(dir);
      const realOutside = await fs.realpath(join(outside, 'weights.bin'));
      await expect(load()).rejects.toThrow(`${modelJson()}: weightsManifest: expected weight files inside the model's folder, got "weights.bin", a link to ${realOutside}, outside ${realDir}`);
      await fs.rm(join(dir, 'weights.bin'));
      await fs.symlink('/dev/zero', join(dir, 'weights.bin'));
      await expect(load()).rejects.toThrow(`got "weights.bin", a link to /dev/zero, outside ${realDir}`);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('a weights file that is a directory, a FIFO, missing, truncated or too long', async () => {
    await saved();
    const weightsPath = join(dir, 'weights.bin');
    const weights = await fs.readFile(weightsPath);
    const take = `what the 2 weights of ${modelJson()}'s weightsManifest[0] take`; // the dense kernel and bias
    await fs.writeFile(weightsPath, weights.subarray(0, weights.length - 4));
    await expect(load()).rejects.toThrow(`${weightsPath}: expected ${weights.length} bytes (${take}), got ${weights.length - 4} bytes`);
    await fs.writeFile(weightsPath, Buffer.concat([weights, Buffer.alloc(1)]));
    await expect(load()).rejects.toThrow(`${weightsPath}: expected ${weights.length} bytes (${take}), got ${weights.length + 1} bytes`);
    await fs.rm(weightsPath);
    await expect(load()).rejects.toThrow(`${weightsPath}: expected a readable file, got no such file`);
    await fs.mkdir(weightsPath);
    await expect(load()).rejects.toThrow(`${weightsPath}: expected a regular file, got a directory`);
    await fs.rmdir(weightsPath);
    execFileSync('mkfifo', [weightsPath]);
    await expect(load()).rejects.toThrow(`${weightsPath}: expected a regular file, got a FIFO (named pipe)`);
  });

  it('a weights file split in two whose parts do not add up names the group and its files', async () => {
    const json = await saved();
    const weights = await fs.readFile(join(dir, 'weights.bin'));
    await fs.writeFile(join(dir, 'a.bin'), weights.subarray(0, 8));
    await fs.writeFile(join(dir, 'b.bin'), weights.subarray(8, weights.length - 4));
    await setPaths(json, ['a.bin', 'b.bin']);
    await expect(load()).rejects.toThrow(`${modelJson()}: weightsManifest[0]: expected ${weights.length} bytes (what the 2 weights of ${modelJson()}'s weightsManifest[0] take), got ${weights.length - 4} bytes in a.bin, b.bin`);
    await fs.writeFile(join(dir, 'a.bin'), weights);
    await expect(load()).rejects.toThrow(`${modelJson()}: weightsManifest[0]: expected ${weights.length} bytes (what the 2 weights of ${modelJson()}'s weightsManifest[0] take), got ${weights.length + weights.length - 12} bytes in a.bin, b.bin`);
    await fs.writeFile(join(dir, 'a.bin'), Buffer.concat([weights, Buffer.alloc(1)]));
    await expect(load()).rejects.toThrow(`got ${weights.length + 1} bytes in a.bin (the rest unread)`);
    await fs.writeFile(join(dir, 'a.bin'), weights.subarray(0, 8));
    await fs.writeFile(join(dir, 'b.bin'), weights.subarray(8));
    (await load()).dispose(); // The same parts whole are read as one file.
  });

  it('weights larger in all than the 2 GiB read whole, before reading any file', async () => {
    const json = await saved();
    const [group] = json.weightsManifest as { paths: string[]; weights: Record<string, unknown>[] }[];
    const weights = [{ ...group.weights[0], shape: [2 ** 20, 2 ** 9] }, group.weights[1]]; // 2^29 float32 values: 2 GiB
    await fs.writeFile(modelJson(), JSON.stringify({ ...json, weightsManifest: [{ ...group, weights }] }));
    await fs.rm(join(dir, 'weights.bin'));
    await expect(load()).rejects.toThrow(`${modelJson()}: weightsManifest: expected weights of at most 2 GiB (2147483648 bytes) in all, got 2 GiB (2147483656 bytes)`);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a string dtype (its size is not in the manifest)', { dtype: 'string' }],
    ['an unknown dtype', { dtype: 'float64' }],
    ['a dtype named like an object property', { dtype: 'constructor' }],
    ['uint8 quantization without min and scale', { quantization: { dtype: 'uint8' } }],
    ['float16 quantization of int32', { dtype: 'int32', quantization: { dtype: 'float16' } }],
    ['a shape that is not one', { shape: [2, -1] }],
  ])('a weight spec with %s', async (_, change) => {
    const json = await saved();
    const [group] = json.weightsManifest as { paths: string[]; weights: Record<string, unknown>[] }[];
    const weights = [{ ...group.weights[0], ...change }, group.weights[1]];
    await fs.writeFile(modelJson(), JSON.stringify({ ...json, weightsManifest: [{ ...group, weights }] }));
    await expect(load()).rejects.toThrow(
      `${modelJson()}: weightsManifest[0].weights[0]: expected a weight {name, shape, dtype} of dtype float32, int32, bool or complex64, quantized (uint8 or uint16 with numbers min and scale, float16 for float32) or not, got ${JSON.stringify(weights[0]).slice(0, 120)}`,
    );
  });
});

describe('the weights of every dtype tfjs stores', () => {
  /** float16 bits of 1, -2 and 0.5. */
  const HALF = new Uint16Array([0x3c00, 0xc000, 0x3800]);
  const cases: { spec: tf.io.WeightsManifestEntry; bytes: Uint8Array; values: number[] }[] = [
    { spec: { name: 'f', shape: [2], dtype: 'float32' }, bytes: new Uint8Array(new Float32Array([1.5, -0.25]).buffer), values: [1.5, -0.25] },
    { spec: { name: 'i', shape: [2], dtype: 'int32' }, bytes: new Uint8Array(new Int32Array([-7, 2 ** 30]).buffer), values: [-7, 2 ** 30] },
    { spec: { name: 'b', shape: [3], dtype: 'bool' }, bytes: new Uint8Array([1, 0, 1]), values: [1, 0, 1] },
    { spec: { name: 'c', shape: [1], dtype: 'complex64' }, bytes: new Uint8Array(new Float32Array([3, -4]).buffer), values: [3, -4] },
    // uint8 q ↦ q · scale + min: 0, 1, 255 with scale 0.5 and min -1.
    { spec: { name: 'q8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } }, bytes: new Uint8Array([0, 1, 255]), values: [-1, -0.5, 126.5] },
    { spec: { name: 'q16', shape: [2], dtype: 'int32', quantization: { dtype: 'uint16', scale: 2, min: -3 } }, bytes: new Uint8Array(new Uint16Array([0, 1000]).buffer), values: [-3, 1997] },
    { spec: { name: 'h', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } }, bytes: new Uint8Array(HALF.buffer), values: [1, -2, 0.5] },
  ];

  it('are read from two weight files and decoded by tfjs to the stored values', async () => {
    const bytes = cases.map((c) => c.bytes);
    const split = 3;
    await fs.writeFile(join(dir, 'one.bin'), Buffer.concat(bytes.slice(0, split)));
    await fs.writeFile(join(dir, 'two.bin'), Buffer.concat(bytes.slice(split)));
    const weightsManifest = [
      { paths: ['one.bin'], weights: cases.slice(0, split).map((c) => c.spec) },
      { paths: ['two.bin'], weights: cases.slice(split).map((c) => c.spec) },
    ];
    await fs.writeFile(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest }));
    const [handler, ...others] = tf.io.getLoadHandlers(`file://${join(dir, 'model.json')}`);
    expect(others).toEqual([]);
    const artifacts = await handler.load!();
    expect(artifacts.weightSpecs).toEqual(cases.map((c) => c.spec));
    const decoded = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    for (const { spec, values } of cases) {
      const tensor = decoded[spec.name];
      expect([spec.name, tensor.dtype]).toEqual([spec.name, spec.dtype]);
      const read = spec.dtype === 'complex64' ? Array.from(tf.tidy(() => tf.stack([tf.real(tensor), tf.imag(tensor)], -1)).dataSync()) : Array.from(tensor.dataSync());
      expect([spec.name, read]).toEqual([spec.name, values]);
    }
    tf.dispose(Object.values(decoded));
  });
});

describe('the topology a load hands to tfjs', () => {
  it("has zero initializers when every weight is set from the file (strict), the file's own otherwise", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'orthogonal' })] });
    await model.save(`file://${dir}`);
    model.dispose();
    const topologyOf = async (options?: tf.io.LoadOptions): Promise<string> => JSON.stringify((await tf.io.getLoadHandlers(`file://${dir}`, options)[0].load!()).modelTopology);
    expect(await topologyOf()).toContain('"kernel_initializer":{"class_name":"Zeros","config":{}}');
    expect(await topologyOf({ strict: true })).not.toContain('Orthogonal');
    expect(await topologyOf({ strict: false })).toContain('"kernel_initializer":{"class_name":"Orthogonal"');
  });
});

describe('another file:// handler', () => {
  it('takes the URLs it claims, registered after the package (as tfjs-node registers its own when initBackend loads it)', async () => {
    const saved: tf.io.ModelArtifacts[] = [];
    const other: tf.io.IOHandler = {
      load: async () => ({ modelTopology: {} }),
      save: async (artifacts) => {
        saved.push(artifacts);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    };
    const taken = 'file:///taken/model.json';
    const router = ((url: string | string[]) => (url === taken ? other : null)) as Parameters<typeof tf.io.registerLoadRouter>[0];
    tf.io.registerLoadRouter(router);
    tf.io.registerSaveRouter(router);
    expect(tf.io.getLoadHandlers(taken)).toEqual([other]);
    expect(tf.io.getSaveHandlers(taken)).toEqual([other]);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    await model.save(taken); // one handler, the other's: tfjs refuses two
    expect(saved).toHaveLength(1);
    model.dispose();
    // The package's routers still answer the URLs the other leaves.
    expect(tf.io.getLoadHandlers(`file://${join(dir, 'model.json')}`)).toHaveLength(1);
    expect(tf.io.getSaveHandlers(`file://${dir}`)).toHaveLength(1);
  });

  it('that claims every file:// URL, as tfjs-node does, takes them all', async () => {
    let claiming = true;
    const nodeLike: tf.io.IOHandler = { load: async () => ({ modelTopology: {} }) };
    const router = ((url: string | string[]) => (claiming && typeof url === 'string' && url.startsWith('file://') ? nodeLike : null)) as Parameters<typeof tf.io.registerLoadRouter>[0];
    tf.io.registerLoadRouter(router);
    tf.io.registerSaveRouter(router);
    try {
      expect(tf.io.getLoadHandlers(`file://${join(dir, 'model.json')}`)).toEqual([nodeLike]);
      expect(tf.io.getSaveHandlers(`file://${dir}`)).toEqual([nodeLike]);
      expect(tf.io.getLoadHandlers('file://')).toEqual([nodeLike]); // not the package's ArgumentError either
    } finally {
      claiming = false;
    }
  });
});
