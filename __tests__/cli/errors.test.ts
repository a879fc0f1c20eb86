import { promises as fs } from 'fs';
import { join } from 'path';
import { HostArray, bufferSource, hostArray, listNpzMembers, loadStateDict, saveStateDict, serializeNpy } from '../../src/formats';
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

  it('names an input or output file of an unknown extension, and weights of no known content', async () => {
    await expectRejected(runArgs({ input: path('x.csv') }), `tfjs-rnn run: ${path('x.csv')}: expected a file ending in .npy, .npz, .json, got '.csv'`);
    await fs.writeFile(path('w.csv'), 'a,b\n1,2\n');
    await expectRejected(runArgs({ weights: path('w.csv') }), `tfjs-rnn run: ${path('w.csv')}: expected a state_dict file: PyTorch (torch.save), safetensors or JSON, got a file starting with "a,b\\n1,2\\n"`);
    await expectRejected(runArgs({ output: path('out.txt') }), `tfjs-rnn run: ${path('out.txt')}: expected a file ending in .npy, .json, got '.txt'`);
  });
});

describe('files that are not regular files, or too large', () => {
  it.each([
    ['weights', 'w.safetensors'],
    ['config', 'c.json'],
    ['input', 'd.npy'],
    ['h0', 'h0.npz'],
    ['lengths', 'lengths.json'],
  ])('names a directory given as --%s', async (flag, name) => {
    const directory = path(name);
    await fs.mkdir(directory);
    await expectRejected(runArgs({ [flag]: directory }), `tfjs-rnn run: ${directory}: expected a regular file, got a directory`);
    await fs.rmdir(directory);
  });

  it.each(['expected-output', 'expected-hn'])('names a directory given as --%s', async (flag) => {
    const directory = path('expected.npy');
    await fs.mkdir(directory);
    await expectRejected(['check', '--weights', weights, '--config', config, '--input', input, '--workers', '1', `--${flag}`, directory], `tfjs-rnn check: ${directory}: expected a regular file, got a directory`);
    await fs.rmdir(directory);
  });

  it('refuses a --config over 1 MiB, even of valid JSON', async () => {
    const big = path('big.json');
    await fs.writeFile(big, `${' '.repeat(2 * 1024 ** 2)}${await fs.readFile(config, 'utf8')}`);
    await expectRejected(runArgs({ config: big }), `tfjs-rnn run: ${big}: expected a file of at most 1 MiB (1048576 bytes), got ${2 * 1024 ** 2 + (await fs.stat(config)).size} bytes`);
    await fs.rm(big);
  });

  it('refuses --weights over 2 GiB without reading them', async () => {
    const big = path('big.safetensors');
    await fs.writeFile(big, '');
    await fs.truncate(big, 3 * 1024 ** 3);
    await expectRejected(runArgs({ weights: big }), `tfjs-rnn run: ${big}: expected a file of at most 2 GiB (2147483648 bytes), got 3221225472 bytes`);
    await fs.rm(big);
  });
});

describe('JSON files', () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);

  it.each([
    ['input', 'x.json', deep],
    ['h0', 'h0.json', deep],
    ['lengths', 'lengths.json', deep],
    ['config', 'c.json', `{"input_size": ${deep}}`],
    ['weights', 'w.json', `{"weight_ih_l0": ${deep}}`],
  ])('refuses --%s nested 5,000 deep, before parsing it', async (flag, name, text) => {
    const file = path(name);
    await fs.writeFile(file, text);
    await expectRejected(runArgs({ [flag]: file }), new RegExp(`^tfjs-rnn run: ${file}: expected JSON nested at most 128 deep, got deeper nesting at position \\d+$`));
    await fs.rm(file);
  });

  it('parses an input as it is: text that is JSON only inside {"input": ...} is refused', async () => {
    const file = path('x.json');
    await fs.writeFile(file, '1, "input": [[[1, 2, 3]]]');
    await expectRejected(runArgs({ input: file }), new RegExp(`^tfjs-rnn run: ${file}: expected JSON \\(NaN and Infinity are not JSON\\), got invalid JSON \\(.*at position 1\\)$`));
    await fs.rm(file);
  });

  it("gives positions in the file's own text", async () => {
    const file = path('x.json');
    await fs.writeFile(file, '[[[1, 2, 3]]] [');
    await expectRejected(runArgs({ input: file }), /got invalid JSON \(.*at position 14\)$/);
    await fs.rm(file);
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

describe('corrupt archives and weights', () => {
  it("rejects an .npz member whose bytes fail their CRC-32 (numpy's BadZipFile)", async () => {
    const archive = await fs.readFile(join(FIXTURES, 'npz', 'stored.npz'));
    const [member] = listNpzMembers(bufferSource(archive), 'stored.npz');
    const dataStart = member.localHeaderOffset + 30 + archive.readUInt16LE(member.localHeaderOffset + 26) + archive.readUInt16LE(member.localHeaderOffset + 28);
    archive[dataStart + member.uncompressedSize - 1] ^= 1;
    const corrupt = path('corrupt.npz');
    await fs.writeFile(corrupt, archive);
    await expectRejected(runArgs({ input: corrupt, 'input-key': member.key }), new RegExp(`^tfjs-rnn run: ${corrupt}\\[input\\]: expected bytes whose CRC-32 is 0x[0-9a-f]{8} \\(as the zip directory says\\), got CRC-32 0x[0-9a-f]{8} \\(a corrupt member\\)$`));
    await fs.rm(corrupt);
  });

  it('rejects a .safetensors whose tensors share bytes', async () => {
    const bytes = await fs.readFile(weights);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString());
    header.bias_hh_l0.data_offsets = header.bias_ih_l0.data_offsets;
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const shared = path('shared.safetensors');
    await fs.writeFile(shared, Buffer.concat([length, json, bytes.subarray(8 + headerLength)]));
    await expectRejected(runArgs({ weights: shared }), /^tfjs-rnn run: .*shared\.safetensors: expected tensor 'bias_hh_l0' data_offsets to begin at \d+, where the tensor before it ends, got \[\d+,\d+\]: bytes shared with tensor 'bias_ih_l0'$/);
    await fs.rm(shared);
  });
});

describe('tfjs models', () => {
  let modelJson: string;
  let original: string;

  beforeAll(async () => {
    await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', path('tfjs')]);
    modelJson = path(join('tfjs', 'model.json'));
    original = await fs.readFile(modelJson, 'utf8');
  });

  afterEach(async () => {
    await fs.writeFile(modelJson, original);
  });

  afterAll(async () => {
    await fs.rm(path('tfjs'), { recursive: true });
  });

  /** Rewrites the weight paths of the model's manifest. */
  async function setWeightPaths(paths: string[]): Promise<void> {
    const json = JSON.parse(original);
    json.weightsManifest[0].paths = paths;
    await fs.writeFile(modelJson, JSON.stringify(json));
  }

  it.each([
    ['relative', '../outside.bin'],
    ['absolute', 'OUTSIDE'],
  ])('refuses a weights path that leaves the model folder (%s), even to a file of the right size', async (_, name) => {
    const outside = path('outside.bin');
    await fs.copyFile(path(join('tfjs', 'weights.bin')), outside);
    const weightsPath = name === 'OUTSIDE' ? outside : name;
    await setWeightPaths([weightsPath]);
    await expectRejected(runArgs({ weights: modelJson, config: null }), `tfjs-rnn run: ${modelJson}: weightsManifest: expected weight file paths inside the model's folder, got "${weightsPath}"`);
    await fs.rm(outside);
  });

  it('refuses a weights.bin longer than the manifest', async () => {
    const bin = path(join('tfjs', 'weights.bin'));
    const bytes = await fs.readFile(bin);
    await fs.writeFile(bin, Buffer.concat([bytes, Buffer.alloc(4)]));
    const count = JSON.parse(original).weightsManifest[0].weights.length;
    const expected = `expected ${bytes.length} bytes (what the ${count} weights of ${modelJson}'s weightsManifest[0] take), got ${bytes.length + 4} bytes`;
    await expectRejected(runArgs({ weights: modelJson, config: null }), `tfjs-rnn run: ${bin}: ${expected}`);
    await fs.writeFile(bin, bytes);
  });

  it('refuses non-finite weights unless --allow-nonfinite', async () => {
    const bin = path(join('tfjs', 'weights.bin'));
    const bytes = await fs.readFile(bin);
    const infinite = Buffer.from(bytes);
    infinite.writeFloatLE(Infinity, 0); // the first kernel's [0][0]: weight_ih_l0[0][0]
    await fs.writeFile(bin, infinite);
    await expectRejected(runArgs({ weights: modelJson, config: null }), `tfjs-rnn run: ${modelJson}: weight_ih_l0: expected finite values (pass --allow-nonfinite to read NaN and Infinity), got Infinity at [0, 0]`);
    expect((await runCli(runArgs({ weights: modelJson, config: null, output: path('allowed.npy') }, ['--allow-nonfinite']))).code).toBe(0);
    await fs.rm(path('allowed.npy'));
    await fs.writeFile(bin, bytes);
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
    await expectRejected(runArgs({ h0 }), `tfjs-rnn run: --h0 ${h0}: expected [1, 4, 4] [D·num_layers, batch, hidden_size], got [1, 3, 4]`);
  });

  it('rejects lengths that do not fit the input', async () => {
    const lengths = path('lengths.json');
    await writeJson(dir, 'lengths.json', [5, 5, 6, 1]);
    await expectRejected(runArgs({ lengths }), `tfjs-rnn run: ${lengths}: lengths[2]: expected an integer in [1, 5] (the sequence length), got 6`);
    await writeJson(dir, 'lengths.json', [5, 5]);
    await expectRejected(runArgs({ lengths }), `tfjs-rnn run: ${lengths}: lengths: expected 4 lengths (one per batch element), got 2 lengths`);
    for (const [value, shown] of [['3', '"3"'], ['NaN', '"NaN"'], [null, 'null']]) {
      await writeJson(dir, 'lengths.json', [5, value, 5, 5]);
      await expectRejected(runArgs({ lengths }), `tfjs-rnn run: ${lengths}: expected an integer at lengths[1], got ${shown}`);
    }
    await fs.rm(lengths);
  });
});

describe('states of the mode', () => {
  const lstm = join(FIXTURES, 'lstm');
  const lstmProj = join(FIXTURES, 'lstm_proj');
  const gru = join(FIXTURES, 'gru');
  /** `command` on a fixture model and its input, `overrides` replacing flags (`null` removes one). */
  const fixtureArgs = (command: string, fixture: string, overrides: Record<string, string | null> = {}) => {
    const flags: Record<string, string | null> = {
      weights: join(fixture, 'weights.safetensors'),
      config: join(fixture, 'config.json'),
      input: join(fixture, 'input.npy'),
      ...(command === 'run' && { output: path('out.npy') }),
      workers: '1',
      ...overrides,
    };
    return [command, ...Object.entries(flags).flatMap(([flag, value]) => (value === null ? [] : [`--${flag}`, value]))];
  };

  it.each([
    ['run', 'c0', () => join(gru, 'h0.npy')],
    ['run', 'cn', () => path('cn.npy')],
    ['check', 'expected-cn', () => join(gru, 'h_n.npy')],
  ])('refuses %s --%s for a GRU, which has no cell state', async (command, flag, file) => {
    await expectRejected(fixtureArgs(command, gru, { [flag]: file() }), `tfjs-rnn ${command}: --${flag}: expected no file for an nn.GRU (only an nn.LSTM has a cell state), got '${file()}'`);
  });

  it('refuses --c0 for an RNN', async () => {
    const c0 = await writeNpy(dir, 'c0.npy', sequenceArray([1, 4, 4]));
    await expectRejected(runArgs({ h0: c0, c0 }), `tfjs-rnn run: --c0: expected no file for an nn.RNN (only an nn.LSTM has a cell state), got '${c0}'`);
    await fs.rm(c0);
  });

  it('takes an LSTM\'s --h0 and --c0 together, naming the one missing', async () => {
    await expectRejected(fixtureArgs('run', lstm, { h0: join(lstm, 'h0.npy') }), 'tfjs-rnn run: --c0: expected a file with --h0 (an nn.LSTM takes h0 and c0 together), got nothing');
    await expectRejected(fixtureArgs('check', lstm, { c0: join(lstm, 'c0.npy') }), 'tfjs-rnn check: --h0: expected a file with --c0 (an nn.LSTM takes h0 and c0 together), got nothing');
  });

  it('names --c0 and --h0 of the wrong shape: c is [D·num_layers, batch, hidden_size], h has proj_size features', async () => {
    const narrow = join(lstmProj, 'h0.npy');
    const wide = join(lstmProj, 'c0.npy');
    await expectRejected(
      fixtureArgs('run', lstm, { h0: join(lstm, 'h0.npy'), c0: narrow }),
      `tfjs-rnn run: --c0 ${narrow}: expected [4, 4, 5] [D·num_layers, batch, hidden_size], got [4, 4, 2]`,
    );
    await expectRejected(
      fixtureArgs('run', lstmProj, { h0: wide, c0: wide }),
      `tfjs-rnn run: --h0 ${wide}: expected [4, 4, 2] [D·num_layers, batch, proj_size], got [4, 4, 5]`,
    );
  });

  it('names an --expected-cn of the wrong shape', async () => {
    const output = join(lstm, 'output.npy');
    await expectRejected(fixtureArgs('check', lstm, { 'expected-cn': output }), `tfjs-rnn check: ${output}: expected [4, 4, 5] (the c_n of this input), got [6, 4, 10]`);
  });

  it('refuses a --cn that is the same file as --output', async () => {
    await expectRejected(
      fixtureArgs('run', lstm, { cn: `${dir}/./out.npy` }),
      `tfjs-rnn run: --cn ${dir}/./out.npy: expected a file that is not another output, got the same file as --output ${path('out.npy')}`,
    );
  });

  it('refuses a config whose mode is not the weights\', and a nonlinearity for an LSTM', async () => {
    const { mode: _, ...args } = JSON.parse(await fs.readFile(join(lstm, 'config.json'), 'utf8'));
    const asGRU = await writeJson(dir, 'gru-config.json', { ...args, mode: 'GRU' });
    await expectRejected(fixtureArgs('run', lstm, { config: asGRU }), `tfjs-rnn run: ${asGRU}: mode: expected LSTM (as the weights ${join(lstm, 'weights.safetensors')} have), got GRU`);
    const relu = await writeJson(dir, 'relu-config.json', { ...args, nonlinearity: 'relu' });
    await expectRejected(fixtureArgs('run', lstm, { config: relu }), `tfjs-rnn run: ${relu}: nonlinearity: expected nothing (or 'tanh') for LSTM: only the RNN's activation can be chosen, got 'relu'`);
    await Promise.all([fs.rm(asGRU), fs.rm(relu)]);
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

  it.each([
    [{ hidden_size: 0 }, 'hidden_size: expected a positive integer, got 0'],
    [{ num_layers: 1.5 }, 'num_layers: expected a positive integer, got 1.5'],
    [{ batch_first: 'yes' }, "batch_first: expected a boolean, got 'yes'"],
  ])("names a bad value by the config file's own key: %o", async (args, message) => {
    const bad = await writeJson(dir, 'bad.json', { input_size: 3, hidden_size: 4, ...args });
    await expectRejected(runArgs({ config: bad }), `tfjs-rnn run: ${bad}: ${message}`);
  });

  it('rejects a config or a --nonlinearity PyTorch would reject', async () => {
    const bad = await writeJson(dir, 'bad.json', { input_size: 3, hidden_size: 4, nonlinearity: 'sigmoid' });
    await expectRejected(runArgs({ config: bad }), `tfjs-rnn run: ${bad}: nonlinearity: expected 'tanh' or 'relu', got 'sigmoid'`);
    await expectRejected(runArgs({ config: null, nonlinearity: 'sigmoid' }), "tfjs-rnn run: --nonlinearity: expected one of tanh, relu, got 'sigmoid'", true);
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

describe('float64 values', () => {
  it('names a float64 input value float32 cannot hold as such, not as the Infinity it would round to', async () => {
    const values = Float64Array.from(sequenceArray([5, 4, 3]).data);
    values[3 * 12 + 2 * 3 + 1] = 1e300;
    const big = path('big64.npy');
    await fs.writeFile(big, serializeNpy([5, 4, 3], values, 'float64'));
    const message = `tfjs-rnn run: ${big}: expected values float32 can hold (magnitude below 3.4028235e38), got 1e+300 at [3, 2, 1] (not representable in float32)`;
    await expectRejected(runArgs({ input: big }), message);
    await expectRejected(runArgs({ input: big, 'batch-size': '1' }, ['--allow-nonfinite']), message);
    await fs.rm(big);
  });

  it('names a JSON input value float32 cannot hold', async () => {
    const big = path('big.json');
    await fs.writeFile(big, '[[[1, 2, 1e300]]]');
    await expectRejected(runArgs({ input: big }), `tfjs-rnn run: ${big}: expected a finite float32 number at input[0][0][2], got 1e+300 (not representable in float32)`);
    await fs.rm(big);
  });
});

describe('weights with NaN or Infinity', () => {
  it('refuses them, naming the first, unless --allow-nonfinite', async () => {
    const data = Float32Array.from(tensors.weight_hh_l0.data);
    data[1 * 4 + 2] = NaN;
    const nan = path('nan.safetensors');
    await saveStateDict(nan, { ...tensors, weight_hh_l0: hostArray([4, 4], data) });
    await expectRejected(runArgs({ weights: nan }), `tfjs-rnn run: ${nan}: weight_hh_l0: expected finite values (pass --allow-nonfinite to read NaN and Infinity), got NaN at [1, 2]`);
    expect((await runCli(runArgs({ weights: nan, output: path('allowed.npy') }, ['--allow-nonfinite']))).code).toBe(0);
    await Promise.all([fs.rm(nan), fs.rm(path('allowed.npy'))]);
  });

  it('every command reading weights refuses them the same way and takes --allow-nonfinite', async () => {
    const data = Float32Array.from(tensors.weight_ih_l0.data);
    data[2] = Infinity;
    const inf = path('inf.safetensors');
    await saveStateDict(inf, { ...tensors, weight_ih_l0: hostArray([4, 3], data) });
    const commands = [
      ['info', '--weights', inf],
      ['convert', '--weights', inf, '--config', config, '--to', 'safetensors', path('converted.safetensors')],
      ['check', '--weights', inf, '--config', config, '--input', input, '--workers', '1'],
    ];
    for (const argv of commands) {
      await expectRejected(argv, `tfjs-rnn ${argv[0]}: ${inf}: weight_ih_l0: expected finite values (pass --allow-nonfinite to read NaN and Infinity), got Infinity at [0, 2]`);
    }
    expect((await runCli([...commands[0], '--allow-nonfinite'])).code).toBe(0);
    expect((await runCli([...commands[1], '--allow-nonfinite'])).code).toBe(0);
    expect((await loadStateDict(path('converted.safetensors'))).weight_ih_l0.data[2]).toBe(Infinity);
    await Promise.all([fs.rm(inf), fs.rm(path('converted.safetensors'))]);
  });
});

describe('command line', () => {
  it('refuses an array key (--input-key, --h0-key, --expected-output-key) for a file that is not an .npz', async () => {
    const h0 = await writeNpy(dir, 'h0.npy', sequenceArray([1, 4, 4]));
    const expected = (flag: string, file: string, kind: string) => `tfjs-rnn run: ${flag}: expected an .npz file (it names one of its arrays), got ${file}, a ${kind} file`;
    await expectRejected(runArgs({ 'input-key': 'x' }), expected('--input-key', input, 'npy'), true);
    await expectRejected(runArgs({ h0, 'h0-key': 'h0' }), expected('--h0-key', h0, 'npy'), true);
    const json = await writeJson(dir, 'x.json', [[[1, 2, 3]]]);
    await expectRejected(runArgs({ input: json, 'input-key': 'x' }), expected('--input-key', json, 'json'), true);
    const check = ['check', '--weights', weights, '--config', config, '--input', input, '--workers', '1', '--expected-output', input, '--expected-output-key', 'y'];
    await expectRejected(check, expected('--expected-output-key', input, 'npy').replace('tfjs-rnn run', 'tfjs-rnn check'), true);
    await Promise.all([fs.rm(h0), fs.rm(json)]);
  });

  it('rejects --shard out of range or malformed', async () => {
    for (const shard of ['2/2', '0/0', '-1/2', 'one/2', '1/2/3', 'auto/0', 'auto/', 'automatic']) {
      await expectRejected([...runArgs(), `--shard=${shard}`], `tfjs-rnn run: --shard: expected i/n with 0 <= i < n (zero-based shard i of n), auto or auto/n (from the scheduler), got '${shard}'`, true);
    }
  });

  it('rejects unknown flags and commands, and missing required flags, with the usage', async () => {
    await expectRejected([...runArgs(), '--bogus'], "tfjs-rnn run: arguments: expected the flags listed below, got Unknown option '--bogus'", true);
    await expectRejected(['frobnicate'], "tfjs-rnn: command: expected one of run, check, convert, info, merge, generate, got 'frobnicate'", true);
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
