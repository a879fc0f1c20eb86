import { promises as fs } from 'fs';
import { join } from 'path';
import { HostArray, hostArray, loadStateDict, saveStateDict, serializeNpy } from '../../src/formats';
import { FIXTURES, listDir, makeTempDir, removeTempDir, runCli, sequenceArray, writeJson, writeModel, writeNpy } from './helpers';

/**
 * Every bad input gets exit code 2, one line on stderr naming the file (or flag), what was
 * expected and what was found, and no output file.
 */

let dir: string;
let weights: string;
let config: string;
let input: string;
let tensors: Record<string, HostArray>;

beforeAll(async () => {
  dir = await makeTempDir();
  ({ weights, config } = await writeModel(dir, { inputSize: 3, hiddenSize: 4 }));
  tensors = await loadStateDict(weights);
  input = await writeNpy(dir, 'x.npy', sequenceArray([5, 4, 3]));
});

afterAll(async () => {
  await removeTempDir(dir);
});

/** A file in the shared directory. */
function path(name: string): string {
  return join(dir, name);
}

/** `run` with the good files, `overrides` replacing flags (`null` removes one). */
function runArgs(overrides: Record<string, string | null> = {}, extra: string[] = []): string[] {
  const flags: Record<string, string | null> = { weights, config, input, output: path('out.npy'), workers: '1', ...overrides };
  return ['run', ...Object.entries(flags).flatMap(([flag, value]) => (value === null ? [] : [`--${flag}`, value])), ...extra];
}

/** Runs `argv` and checks exit 2, a single stderr line matching `message`, and no new file. */
async function expectRejected(argv: string[], message: RegExp | string, usage = false): Promise<void> {
  const before = await listDir(dir);
  const { code, stdout, stderr } = await runCli(argv);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  const [line, ...rest] = stderr.split('\n');
  if (typeof message === 'string') expect(line).toBe(message);
  else expect(line).toMatch(message);
  if (usage) expect(rest[0]).toMatch(/^Usage: tfjs-rnn/);
  else expect(rest).toEqual(['']);
  expect(await listDir(dir)).toEqual(before);
}

describe('missing files and unknown extensions', () => {
  it.each(['weights', 'config', 'input', 'h0'])('names a missing --%s', async (flag) => {
    const missing = path(`missing.${flag === 'weights' ? 'safetensors' : 'json'}`);
    await expectRejected(runArgs({ [flag]: missing }), `tfjs-rnn run: ${missing}: expected a readable file, got no such file`);
  });

  it('names an input, weights or output file of an unknown extension', async () => {
    await expectRejected(runArgs({ input: path('x.csv') }), `tfjs-rnn run: ${path('x.csv')}: expected a file ending in .npy, .npz, .json, got '.csv'`);
    await expectRejected(runArgs({ weights: path('w.pt') }), new RegExp(`^tfjs-rnn run: ${path('w.pt')}: expected a weights file ending in \\.safetensors or \\.json .*, got '\\.pt'$`));
    await expectRejected(runArgs({ output: path('out.txt') }), `tfjs-rnn run: ${path('out.txt')}: expected a file ending in .npy, .json, got '.txt'`);
  });
});

describe('corrupt files', () => {
  it('rejects a truncated .npy and a bad magic', async () => {
    const good = serializeNpy([5, 4, 3], sequenceArray([5, 4, 3]).data);
    await fs.writeFile(path('truncated.npy'), good.subarray(0, good.length - 8));
    await expectRejected(runArgs({ input: path('truncated.npy') }), `tfjs-rnn run: ${path('truncated.npy')}: expected 240 bytes of data for shape [5, 4, 3] float32, got 232 bytes (truncated)`);
    await fs.writeFile(path('magic.npy'), Uint8Array.from([0x50, 0x4b, 3, 4, ...good.subarray(4)]));
    await expectRejected(runArgs({ input: path('magic.npy') }), /^tfjs-rnn run: .*magic\.npy: expected an \.npy file \(magic \\x93NUMPY\), got first bytes "PK\\u0003\\u0004/);
  });

  it.each([
    ['big_endian.npy', /expected little-endian dtype float32 \('<f4'\) or float64 \('<f8'\), got big-endian '>f4'$/],
    ['fortran.npy', /expected C order \('fortran_order': False\), got Fortran order \('fortran_order': True\)$/],
    ['int16.npy', /expected dtype float32 \('<f4'\) or float64 \('<f8'\), got '<i2'$/],
  ])('rejects numpy-written %s', async (name, message) => {
    const file = join(FIXTURES, 'npy', name);
    await expectRejected(runArgs({ input: file }), new RegExp(`^tfjs-rnn run: ${file}: ${message.source}`));
  });

  it('rejects a .safetensors whose header length runs past the file, offsets outside the data, or an unsupported dtype', async () => {
    const bytes = new Uint8Array(await fs.readFile(weights));
    const long = bytes.slice();
    new DataView(long.buffer).setBigUint64(0, 1n << 40n, true);
    await fs.writeFile(path('long.safetensors'), long);
    await expectRejected(runArgs({ weights: path('long.safetensors') }), /^tfjs-rnn run: .*long\.safetensors: expected a header length of at most \d+ bytes \(the rest of the file\), got 1099511627776$/);
    const header = (entry: object) => {
      const json = new TextEncoder().encode(JSON.stringify({ weight_ih_l0: entry }));
      const file = new Uint8Array(8 + json.length + 16);
      new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
      file.set(json, 8);
      return file;
    };
    await fs.writeFile(path('offsets.safetensors'), header({ dtype: 'F32', shape: [4, 3], data_offsets: [0, 48] }));
    await expectRejected(runArgs({ weights: path('offsets.safetensors') }), /^tfjs-rnn run: .*offsets\.safetensors: expected tensor 'weight_ih_l0' data_offsets \[begin, end\] with 0 <= begin <= end <= 16 \(the data buffer\), got \[0,48\]$/);
    await fs.writeFile(path('dtype.safetensors'), header({ dtype: 'I8', shape: [4, 4], data_offsets: [0, 16] }));
    await expectRejected(runArgs({ weights: path('dtype.safetensors') }), /^tfjs-rnn run: .*dtype\.safetensors: expected tensor 'weight_ih_l0' dtype to be one of F32, F64, F16, BF16, got "I8"$/);
  });
});

describe('shapes', () => {
  it('rejects an input whose feature size is not input_size', async () => {
    const wide = await writeNpy(dir, 'wide.npy', sequenceArray([5, 4, 7]));
    await expectRejected(runArgs({ input: wide }), `tfjs-rnn run: ${wide}: expected a 3-D [seq, batch, 3] or 2-D [seq, 3] (unbatched) array: last axis input_size 3, got [5, 4, 7]`);
  });

  it('rejects an input of the wrong rank', async () => {
    const rank4 = await writeNpy(dir, 'rank4.npy', sequenceArray([2, 5, 4, 3]));
    await expectRejected(runArgs({ input: rank4 }), `tfjs-rnn run: ${rank4}: expected a 3-D [seq, batch, 3] or 2-D [seq, 3] (unbatched) array, got 4-D [2, 5, 4, 3]`);
  });

  it('rejects an h0 of the wrong shape', async () => {
    const h0 = await writeNpy(dir, 'h0.npy', sequenceArray([1, 3, 4]));
    await expectRejected(runArgs({ h0 }), `tfjs-rnn run: ${h0}: expected [1, 4, 4] [D·num_layers, batch, hidden_size], got [1, 3, 4]`);
  });

  it('rejects lengths that do not fit the input', async () => {
    const lengths = path('lengths.json');
    await writeJson(dir, 'lengths.json', [5, 5, 6, 1]);
    await expectRejected(runArgs({ lengths }), `tfjs-rnn run: ${lengths}: lengths[2]: expected an integer in [1, 5] (the sequence length), got 6`);
    await writeJson(dir, 'lengths.json', [5, 5]);
    await expectRejected(runArgs({ lengths }), `tfjs-rnn run: ${lengths}: lengths: expected 4 lengths (one per batch element), got 2 lengths`);
    await fs.rm(lengths);
  });
});

describe('weights and config', () => {
  it('rejects missing and extra weight keys, listing them', async () => {
    const { bias_hh_l0: _dropped, ...missing } = tensors;
    await saveStateDict(path('missing.safetensors'), { ...missing, extra: hostArray([1], Float32Array.of(1)) });
    await expectRejected(
      runArgs({ weights: path('missing.safetensors') }),
      `tfjs-rnn run: ${path('missing.safetensors')}: expected the parameters of an nn.RNN, nn.LSTM or nn.GRU (PyTorch's state_dict keys and shapes), got missing key 'bias_hh_l0'; unexpected key 'extra'`,
    );
    await fs.rm(path('missing.safetensors'));
  });

  it('rejects weight shapes that disagree with the config, naming the field', async () => {
    const wrong = await writeJson(dir, 'wrong.json', { input_size: 3, hidden_size: 8 });
    await expectRejected(runArgs({ config: wrong }), `tfjs-rnn run: ${wrong}: hidden_size: expected 4 (as the weights ${weights} have), got 8`);
    const shapes = { ...tensors, bias_hh_l0: hostArray([5], new Float32Array(5)) };
    await saveStateDict(path('shapes.safetensors'), shapes);
    await expectRejected(runArgs({ weights: path('shapes.safetensors') }), /expected the parameters of an nn\.RNN, nn\.LSTM or nn\.GRU .*, got bias_hh_l0: expected shape \[4\], got \[5\]$/);
    await fs.rm(path('shapes.safetensors'));
  });

  it('rejects a config PyTorch would reject, and asks for --config when the weights record none', async () => {
    const bad = await writeJson(dir, 'bad.json', { input_size: 3, hidden_size: 4, nonlinearity: 'sigmoid' });
    await expectRejected(runArgs({ config: bad }), `tfjs-rnn run: ${bad}: nonlinearity: expected 'tanh' or 'relu', got 'sigmoid'`);
    await expectRejected(runArgs({ config: null }), `tfjs-rnn run: --config: expected a JSON file of nn.RNN arguments (${weights} records none), got nothing`);
  });
});

describe('values', () => {
  it('rejects NaN and Infinity in the input, naming the first, unless --allow-nonfinite', async () => {
    const values = sequenceArray([5, 4, 3]);
    values.data[3 * 12 + 2 * 3 + 1] = NaN;
    const nan = await writeNpy(dir, 'nan.npy', values);
    await expectRejected(runArgs({ input: nan }), `tfjs-rnn run: ${nan}: expected finite values (pass --allow-nonfinite to run NaN and Infinity through), got NaN at [3, 2, 1]`);
    // Found in the third chunk, after the first two were written: the temp output goes too.
    await expectRejected(runArgs({ input: nan, 'batch-size': '1' }), /got NaN at \[3, 2, 1\]$/);
    values.data[3 * 12 + 2 * 3 + 1] = -Infinity;
    const inf = await writeNpy(dir, 'inf.npy', values);
    await expectRejected(runArgs({ input: inf }), /got -Infinity at \[3, 2, 1\]$/);
    const { code } = await runCli(runArgs({ input: inf, output: path('allowed.npy') }, ['--allow-nonfinite']));
    expect(code).toBe(0);
    await fs.rm(path('allowed.npy'));
  });
});

describe('command line', () => {
  it('rejects --shard out of range or malformed', async () => {
    for (const shard of ['2/2', '0/0', '-1/2', 'one/2', '1/2/3', 'auto/0', 'auto/', 'automatic']) {
      await expectRejected([...runArgs(), `--shard=${shard}`], `tfjs-rnn run: --shard: expected i/n with 0 <= i < n (zero-based shard i of n), auto or auto/n (from the scheduler), got '${shard}'`, true);
    }
  });

  it('rejects unknown flags and commands, and missing required flags, with the usage', async () => {
    await expectRejected([...runArgs(), '--bogus'], "tfjs-rnn run: arguments: expected the flags listed below, got Unknown option '--bogus'", true);
    await expectRejected(['frobnicate'], "tfjs-rnn: command: expected one of run, check, convert, info, merge, got 'frobnicate'", true);
    await expectRejected(runArgs({ input: null }), 'tfjs-rnn run: --input: expected a value, got nothing', true);
    await expectRejected(runArgs({ impl: 'fast' }), "tfjs-rnn run: --impl: expected one of manual, layers, got 'fast'", true);
    await expectRejected(runArgs({ workers: '0' }), "tfjs-rnn run: --workers: expected a positive integer, got '0'", true);
    await expectRejected(runArgs({ backend: 'gpu' }), "tfjs-rnn run: --backend: expected one of tensorflow, wasm, cpu, got 'gpu'", true);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: tfjs-rnn <command>/);
  });

  it('prints help on --help, exit 0', async () => {
    const { code, stdout } = await runCli(['run', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: tfjs-rnn run --weights W/);
  });
});
