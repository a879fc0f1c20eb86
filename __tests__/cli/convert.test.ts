import { promises as fs } from 'fs';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { FORWARD_TOLERANCE, compareArrays } from '../../src/compare';
import { loadStateDict, parseSafetensors } from '../../src/formats';
import { FIXTURES, expectArraysClose, listDir, makeTempDir, readNpy, referenceForward, removeTempDir, runCli, sequenceArray, writeModel } from './helpers';

const MODEL = join(FIXTURES, 'model');
const WEIGHTS = join(MODEL, 'weights.safetensors');
const CONFIG = join(MODEL, 'config.json');
const TORCH_ARGS = { input_size: 3, hidden_size: 5, num_layers: 2, nonlinearity: 'tanh', bias: true, batch_first: true, dropout: 0, bidirectional: true };

let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
});

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

/** Runs the model of `weights` (no --config unless given) on the fixture input; returns the output file's bytes. */
async function runOutput(weights: string, extra: string[] = []): Promise<Buffer> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.npy`);
  const args = ['run', '--workers', '1', '--weights', weights, '--input', join(MODEL, 'input.npy'), '--h0', join(MODEL, 'h0.npy'), '--output', out, ...extra];
  const result = await runCli(args);
  expect(result.stderr).toMatch(/^4 sequences/);
  return fs.readFile(out);
}

/** A load-only IOHandler over `model.json` and the files its manifest names, independent of the CLI's. */
function readModelFiles(modelPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJson = JSON.parse(await fs.readFile(modelPath, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const paths = manifest.flatMap((group) => group.paths.map((path) => join(modelPath, '..', path)));
        const buffers = await Promise.all(paths.map(async (path) => new Uint8Array(await fs.readFile(path)).buffer));
        return [manifest.flatMap((group) => group.weights), tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

describe('convert --to tfjs', () => {
  it('writes model.json and weights.bin that tf.loadLayersModel reads back, recording the nn.RNN config', async () => {
    const result = await runCli(['convert', '--weights', WEIGHTS, '--config', CONFIG, '--to', 'tfjs', join(dir, 'tfjs')]);
    expect(result).toEqual({ code: 0, stdout: `${WEIGHTS} (safetensors) -> ${join(dir, 'tfjs', 'model.json')} + weights.bin (tfjs)\n`, stderr: '' });
    expect(await listDir(join(dir, 'tfjs'))).toEqual(['model.json', 'weights.bin']);
    const model = await tf.loadLayersModel(readModelFiles(join(dir, 'tfjs', 'model.json')));
    expect(model.getUserDefinedMetadata()).toEqual({ 'nn.RNN': TORCH_ARGS });
    expect(model.layers.map((layer) => layer.name)).toEqual(['input', 'bidirectional_l0', 'bidirectional_l1']);

    // The loaded model (batch-major in, [sequence, ...final states] out) computes what `run` does (no h0).
    const run = ['run', '--workers', '1', '--weights', WEIGHTS, '--config', CONFIG, '--input', join(MODEL, 'input.npy')];
    await runCli([...run, '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')]);
    const input = await readNpy(join(MODEL, 'input.npy'));
    const outputs = model.predict(tf.tensor(input.data, input.shape)) as tf.Tensor[];
    const hN = tf.stack(outputs.slice(1));
    expect(compareArrays({ shape: outputs[0].shape, data: outputs[0].dataSync() }, await readNpy(join(dir, 'out.npy')), FORWARD_TOLERANCE).ok).toBe(true);
    expect(compareArrays({ shape: hN.shape, data: hN.dataSync() }, await readNpy(join(dir, 'hn.npy')), FORWARD_TOLERANCE).ok).toBe(true);
    tf.dispose([...outputs, hN]);
    model.dispose();
  });

  describe.each([
    ['GRU', { mode: 'GRU', inputSize: 8, hiddenSize: 32, batchFirst: true }],
    ['LSTM with projSize', { mode: 'LSTM', inputSize: 8, hiddenSize: 32, projSize: 16, batchFirst: true, bidirectional: true }],
  ] as const)('of a %s large enough for tfjs to warn of a slow Orthogonal initializer', (_, config) => {
    let warn: jest.SpyInstance;
    beforeEach(() => {
      warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    });
    afterEach(() => warn.mockRestore());

    it('builds and reads its layers without running an initializer, and still computes the hand-written model', async () => {
      const model = await writeModel(dir, config);
      const out = join(dir, 'tfjs');
      expect((await runCli(['convert', '--weights', model.weights, '--config', model.config, '--to', 'tfjs', out])).code).toBe(0);
      const recorded = JSON.stringify(JSON.parse(await fs.readFile(join(out, 'model.json'), 'utf8')).modelTopology);
      expect(recorded.match(/"class_name":"(Orthogonal|GlorotUniform|RandomUniform)"/g)).toBeNull();
      const loaded = await tf.loadLayersModel(readModelFiles(join(out, 'model.json')));
      const input = sequenceArray([2, 5, config.inputSize]);
      const x = tf.tensor(input.data, input.shape);
      const outputs = loaded.predict(x) as tf.Tensor[];
      expectArraysClose({ shape: outputs[0].shape, data: outputs[0].dataSync() as Float32Array }, referenceForward(config, input).output, 'output');
      tf.dispose([x, ...outputs]);
      loaded.dispose();

      // The CLI's reader runs no initializer a file records either (Keras records Orthogonal): the same weights come back.
      const modelJson = await fs.readFile(join(out, 'model.json'), 'utf8');
      const keras = modelJson.replace(/"recurrent_initializer":\{"class_name":"Zeros","config":\{\}\}/g, '"recurrent_initializer":{"class_name":"Orthogonal","config":{"gain":1,"seed":null}}');
      expect(keras).not.toBe(modelJson);
      await fs.writeFile(join(out, 'model.json'), keras);
      const back = join(dir, 'back.safetensors');
      expect((await runCli(['convert', '--weights', join(out, 'model.json'), '--to', 'safetensors', back])).code).toBe(0);
      const original = parseSafetensors(await fs.readFile(model.weights)).tensors;
      const read = parseSafetensors(await fs.readFile(back)).tensors;
      for (const name of Object.keys(original).filter((key) => key.startsWith('weight_'))) expectArraysClose(read[name], original[name], name);
      expect(warn.mock.calls.filter((call) => /Orthogonal/.test(String(call[0])))).toEqual([]);
    });
  });

  it('runs from model.json with no --config, with the same outputs as from the state dict', async () => {
    await runCli(['convert', '--weights', WEIGHTS, '--config', CONFIG, '--to', 'tfjs', join(dir, 'model.json')]);
    const original = await runOutput(WEIGHTS, ['--config', CONFIG]);
    expect(await runOutput(join(dir, 'model.json'))).toEqual(original);
    expect(await runOutput(join(dir, 'model.json'), ['--impl', 'layers'])).toEqual(await runOutput(WEIGHTS, ['--config', CONFIG, '--impl', 'layers']));
  });

  it('converts there and back to a state dict (b_hh folded into b_ih) with identical outputs', async () => {
    await runCli(['convert', '--weights', WEIGHTS, '--config', CONFIG, '--to', 'tfjs', join(dir, 'tfjs')]);
    const back = join(dir, 'back.safetensors');
    expect((await runCli(['convert', '--weights', join(dir, 'tfjs', 'model.json'), '--to', 'safetensors', back])).code).toBe(0);
    const tensors = await loadStateDict(back);
    expect(Array.from(tensors.bias_hh_l0.data)).toEqual([0, 0, 0, 0, 0]);
    expect(await runOutput(back)).toEqual(await runOutput(WEIGHTS, ['--config', CONFIG]));
  });
});

/** The fixtures of nn.LSTM and nn.GRU (`make_cli_fixtures.py`): their recorded arguments and the Keras class of their layers. */
const MODE_CASES = [
  {
    name: 'lstm',
    args: { mode: 'LSTM', input_size: 3, hidden_size: 5, num_layers: 2, bias: true, batch_first: false, dropout: 0, bidirectional: true, proj_size: 0 },
    layerClass: 'LSTM',
  },
  {
    name: 'lstm_proj',
    args: { mode: 'LSTM', input_size: 3, hidden_size: 5, num_layers: 2, bias: true, batch_first: true, dropout: 0, bidirectional: true, proj_size: 2 },
    layerClass: 'LSTMProjection',
  },
  {
    name: 'gru',
    args: { mode: 'GRU', input_size: 3, hidden_size: 5, num_layers: 2, bias: true, batch_first: true, dropout: 0, bidirectional: true },
    layerClass: 'GRU',
  },
];

describe.each(MODE_CASES)('convert the $layerClass model $name', ({ name, args, layerClass }) => {
  const fixture = join(FIXTURES, name);
  const weights = join(fixture, 'weights.safetensors');
  const config = join(fixture, 'config.json');
  const lstm = args.mode === 'LSTM';
  const states = ['--h0', join(fixture, 'h0.npy'), ...(lstm ? ['--c0', join(fixture, 'c0.npy')] : [])];
  /** `run` of `from` on the fixture (with its states unless `withStates` is false); returns the paths of output, h_n and (LSTM) c_n. */
  const runPaths = async (from: string, extra: string[] = [], withStates = true): Promise<string[]> => {
    const out = join(dir, `run-${Math.random().toString(36).slice(2)}`);
    const paths = [`${out}.out.npy`, `${out}.hn.npy`, ...(lstm ? [`${out}.cn.npy`] : [])];
    const outputs = paths.flatMap((path, index) => [['--output', '--hn', '--cn'][index], path]);
    const result = await runCli(['run', '--workers', '1', '--weights', from, '--input', join(fixture, 'input.npy'), ...(withStates ? states : []), ...outputs, ...extra]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: expect.stringMatching(/^4 sequences/) });
    return paths;
  };
  /** The bytes of every output of `runPaths`. */
  const runFiles = async (from: string, extra: string[] = []): Promise<Buffer[]> => Promise.all((await runPaths(from, extra)).map((path) => fs.readFile(path)));
  const expectedFlags = ['--expected-output', join(fixture, 'output.npy'), '--expected-hn', join(fixture, 'h_n.npy'), ...(lstm ? ['--expected-cn', join(fixture, 'c_n.npy')] : [])];

  it('--to tfjs writes a model tf.loadLayersModel reads, of the twin\'s Keras layers, computing what run does', async () => {
    expect((await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', join(dir, 'tfjs')])).code).toBe(0);
    const model = await tf.loadLayersModel(readModelFiles(join(dir, 'tfjs', 'model.json')));
    expect(model.getUserDefinedMetadata()).toEqual({ 'nn.RNN': args });
    expect(model.layers.map((layer) => [layer.name, (layer.getConfig().layer as { className: string } | undefined)?.className])).toEqual([
      ['input', undefined],
      ['bidirectional_l0', layerClass],
      ['bidirectional_l1', layerClass],
    ]);

    // Keras's outputs: the sequence, then per layer and direction h (and c); batch-major in and out.
    const paths = await runPaths(weights, ['--config', config], false);
    const input = await readNpy(join(fixture, 'input.npy'));
    const x = tf.tensor(input.data, input.shape);
    const [sequence, ...finalStates] = model.predict(args.batch_first ? x : tf.transpose(x, [1, 0, 2])) as tf.Tensor[];
    const statesPerDirection = lstm ? 2 : 1;
    const stacked = (offset: number) => tf.stack(finalStates.filter((_, index) => index % statesPerDirection === offset));
    const predicted = [args.batch_first ? sequence : tf.transpose(sequence, [1, 0, 2]), stacked(0), ...(lstm ? [stacked(1)] : [])];
    for (const [index, path] of paths.entries()) {
      const tensor = predicted[index];
      expectArraysClose({ shape: tensor.shape, data: tensor.dataSync() as Float32Array }, await readNpy(path), `predicted ${['output', 'h_n', 'c_n'][index]}`);
    }
    tf.dispose([x, sequence, ...finalStates, ...predicted]);
    model.dispose();
  });

  it('runs from model.json with no --config: the same bytes as from the state dict, and PyTorch\'s numbers', async () => {
    await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', join(dir, 'model.json')]);
    expect(await runFiles(join(dir, 'model.json'))).toEqual(await runFiles(weights, ['--config', config]));
    const check = await runCli(['check', '--workers', '1', '--weights', join(dir, 'model.json'), '--input', join(fixture, 'input.npy'), ...states, ...expectedFlags]);
    expect(check.code).toBe(0);
  });

  it('converts there and back to a state dict with the same outputs', async () => {
    await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', join(dir, 'tfjs')]);
    const back = join(dir, 'back.safetensors');
    expect((await runCli(['convert', '--weights', join(dir, 'tfjs', 'model.json'), '--to', 'safetensors', back])).code).toBe(0);
    expect(JSON.parse(parseSafetensors(new Uint8Array(await fs.readFile(back))).metadata['nn.RNN'])).toEqual(args);
    expect(await runFiles(back)).toEqual(await runFiles(weights, ['--config', config]));
  });

  it.each(['safetensors', 'json'])('--to %s records the mode in the config, so runs need no --config', async (format) => {
    const out = join(dir, `w.${format}`);
    expect((await runCli(['convert', '--weights', weights, '--config', config, '--to', format, out])).code).toBe(0);
    const metadata = format === 'safetensors' ? parseSafetensors(new Uint8Array(await fs.readFile(out))).metadata : JSON.parse(await fs.readFile(out, 'utf8')).__metadata__;
    expect(JSON.parse(metadata['nn.RNN'])).toEqual(args);
    expect(await runFiles(out)).toEqual(await runFiles(weights, ['--config', config]));
  });
});

describe('tfjs models of an LSTM, edited', () => {
  const fixture = join(FIXTURES, 'lstm_proj');
  const convert = async (): Promise<{ path: string; json: { modelTopology: unknown; userDefinedMetadata: Record<string, Record<string, unknown>> } }> => {
    await runCli(['convert', '--weights', join(fixture, 'weights.safetensors'), '--config', join(fixture, 'config.json'), '--to', 'tfjs', dir]);
    const path = join(dir, 'model.json');
    return { path, json: JSON.parse(await fs.readFile(path, 'utf8')) };
  };
  const run = (weights: string) => runCli(['run', '--workers', '1', '--weights', weights, '--input', join(fixture, 'input.npy'), '--output', join(dir, `out-${Math.random()}.npy`)]);

  it('take mode and proj_size from the layer classes when the recorded arguments lack them', async () => {
    const { path, json } = await convert();
    const { mode: _mode, proj_size: _projSize, ...rest } = json.userDefinedMetadata['nn.RNN'];
    await fs.writeFile(path, JSON.stringify({ ...json, userDefinedMetadata: { 'nn.RNN': rest } }));
    expect((await run(path)).code).toBe(0);
    expect((await runCli(['info', '--weights', path])).stdout).toContain('config: nn.LSTM(input_size=3, hidden_size=5, num_layers=2, bias=True, batch_first=True, dropout=0.0, bidirectional=True, proj_size=2) from');
  });

  it('refuse a layer that would not compute nn.LSTM (hard sigmoid gates), naming it', async () => {
    const { path, json } = await convert();
    await fs.writeFile(path, JSON.stringify(json).replace(/"recurrent_activation":"sigmoid"/g, '"recurrent_activation":"hard_sigmoid"'));
    const before = await listDir(dir);
    const { code, stderr } = await run(path);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `tfjs-rnn run: ${path}: bidirectional_l0: expected LSTMProjection, activation 'tanh', recurrentActivation 'sigmoid', useBias true, projectionUnits 2, ` +
        `got LSTMProjection, activation 'tanh', recurrentActivation 'hardSigmoid', useBias true, projectionUnits 2\n`,
    );
    expect(await listDir(dir)).toEqual(before);
  });
});

describe('convert between state dict files', () => {
  it.each(['safetensors', 'json'])('--to %s keeps every tensor and records the config, so runs need no --config', async (format) => {
    const out = join(dir, `w.${format}`);
    expect((await runCli(['convert', '--weights', WEIGHTS, '--config', CONFIG, '--to', format, out])).code).toBe(0);
    if (format === 'safetensors') {
      const { tensors, metadata } = parseSafetensors(new Uint8Array(await fs.readFile(out)));
      expect(tensors).toEqual(await loadStateDict(WEIGHTS));
      expect(JSON.parse(metadata['nn.RNN'])).toEqual(TORCH_ARGS);
    } else {
      const json = JSON.parse(await fs.readFile(out, 'utf8'));
      expect(JSON.parse(json.__metadata__['nn.RNN'])).toEqual(TORCH_ARGS);
    }
    expect(await runOutput(out)).toEqual(await runOutput(WEIGHTS, ['--config', CONFIG]));
  });

  it('rejects an OUT whose extension does not match --to, writing nothing', async () => {
    const { code, stderr } = await runCli(['convert', '--weights', WEIGHTS, '--config', CONFIG, '--to', 'json', join(dir, 'w.safetensors')]);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`tfjs-rnn convert: OUT: expected a path ending in .json for --to json, got '${join(dir, 'w.safetensors')}'`);
    expect(await listDir(dir)).toEqual([]);
  });
});

describe('info', () => {
  it('prints the inferred configuration, parameters, count and backend', async () => {
    const { code, stdout } = await runCli(['info', '--weights', WEIGHTS, '--backend', 'wasm']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `weights: ${WEIGHTS} (safetensors)`,
      'recurrent modules (1):',
      "  '' (the model itself): nn.RNN(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, bias=True)",
      "module: '' (the only recurrent one)",
      'inferred from the weights: nn.RNN(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, bias=True)',
      "config: nn.RNN(input_size=3, hidden_size=5, num_layers=2, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, bidirectional=True) from the weights (they cannot tell nonlinearity, batch_first and dropout: PyTorch's defaults unless given with --nonlinearity, --batch-first or --config)",
      'parameters:',
    ]);
    expect(lines).toContain('  weight_ih_l1_reverse  [5, 10]');
    expect(lines.filter((line) => line.startsWith('  '))).toHaveLength(1 + 16);
    expect(lines).toContain('parameter count: 270');
    expect(lines.find((line) => line.startsWith('backend: '))).toMatch(/^backend: wasm \(available: .*wasm.*\)$/);
  });

  it('prints the full configuration given or recorded', async () => {
    const expected = "nn.RNN(input_size=3, hidden_size=5, num_layers=2, nonlinearity='tanh', bias=True, batch_first=True, dropout=0.0, bidirectional=True)";
    expect((await runCli(['info', '--weights', WEIGHTS, '--config', CONFIG])).stdout).toContain(`config: ${expected} from ${CONFIG}\n`);
    await runCli(['convert', '--weights', WEIGHTS, '--config', CONFIG, '--to', 'tfjs', join(dir, 'tfjs')]);
    const modelPath = join(dir, 'tfjs', 'model.json');
    const { stdout } = await runCli(['info', '--weights', modelPath]);
    expect(stdout).toContain(`weights: ${modelPath} (tfjs)\n`);
    expect(stdout).toContain(`config: ${expected} from ${modelPath} (recorded config)\n`);
  });
});
