import { promises as fs } from 'fs';
import { join } from 'path';
import { FORWARD_TOLERANCE, compareArrays } from '../../src/compare';
import { hostArray, saveStateDict } from '../../src/formats';
import { listDir, makeTempDir, readNpy, removeTempDir, runCli, writeJson } from './helpers';

/**
 * The recurrent module inside a whole model's state_dict on the command line: `info` lists the
 * modules, `--prefix` chooses one (the only one by itself), `--weights-key` a dotted path, and
 * the configuration comes from the weights plus `--batch-first`/`--nonlinearity` or a partial
 * config. Fixtures: scripts/make_pt_fixtures.py (fixtures/pt/whole_models, torch 1.13), whose
 * docstring describes each model; the expected arrays are what PyTorch's module computed.
 */

const WHOLE = join(__dirname, '..', '..', 'fixtures', 'pt', 'whole_models');
const fixture = (name: string): string => join(WHOLE, name);

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

/** Expects each written array in `dir` to match the fixture PyTorch wrote. */
async function expectPyTorchOutputs(pairs: [string, string][]): Promise<void> {
  for (const [written, expected] of pairs) {
    const comparison = compareArrays(await readNpy(join(dir, written)), await readNpy(fixture(expected)), FORWARD_TOLERANCE);
    expect([written, comparison.ok]).toEqual([written, true]);
  }
}

/** `run` of `WholeModel`'s LSTM on its input (the embeddings of ids [3, 7], batch-first), with `flags`, writing out, hn and cn in `dir`. */
function runLstm(flags: string[]): ReturnType<typeof runCli> {
  const files = ['--input', fixture('lstm_input.npy'), '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy'), '--cn', join(dir, 'cn.npy')];
  return runCli(['run', ...(flags.includes('--workers') ? [] : ['--workers', '1']), ...flags, ...files]);
}

const LSTM_OUTPUTS: [string, string][] = [['out.npy', 'lstm_output.npy'], ['hn.npy', 'lstm_h_n.npy'], ['cn.npy', 'lstm_c_n.npy']];
const LSTM_LINE = "nn.LSTM(input_size=16, hidden_size=32, num_layers=2, bidirectional=False, bias=True, proj_size=0)";

/** Runs `argv`, expecting exit 2, one stderr line `message`, and nothing written in `dir`. */
async function expectRejected(argv: string[], message: string): Promise<void> {
  const before = await listDir(dir);
  const { code, stdout, stderr } = await runCli(argv);
  expect([code, stdout, stderr]).toEqual([2, '', `${message}\n`]);
  expect(await listDir(dir)).toEqual(before);
}

describe('help', () => {
  it.each(['run', 'check', 'convert', 'info'])('%s --help lists --weights-key, --prefix, --batch-first, --nonlinearity and --config', async (command) => {
    const { code, stdout } = await runCli([command, '--help']);
    expect(code).toBe(0);
    for (const flag of ['--weights W', '--weights-key K', '--prefix P', '--batch-first', '--nonlinearity F', '--config C']) {
      expect([flag, stdout.includes(`\n  ${flag} `)]).toEqual([flag, true]);
    }
  });
});

describe('info lists the modules of a whole model', () => {
  it.each([
    ['model.pt', []],
    ['data_parallel.pt', []],
    ['compiled.pt', []],
    ['nested.pt', ['--weights-key', 'models.student']],
  ])('%s %j: the LSTM, the embedding and the head; the LSTM chosen by itself', async (name, extra) => {
    const { code, stdout } = await runCli(['info', '--weights', fixture(name), '--backend', 'cpu', ...extra]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const source = { 'model.pt': '', 'data_parallel.pt': ", checkpoint['model_state_dict'], wrapper prefix module. stripped from every key", 'compiled.pt': ', wrapper prefix _orig_mod. stripped from every key', 'nested.pt': ', checkpoint key models.student' }[name];
    expect(lines.slice(0, 9)).toEqual([
      `weights: ${fixture(name)} (pt${source})`,
      'recurrent modules (1):',
      `  'lstm.': ${LSTM_LINE}`,
      'other modules (2):',
      "  'embedding.': Embedding or Linear weight [100, 16]",
      "  'fc.': Linear weight [5, 32], bias [5]",
      "module: 'lstm.' (the only recurrent one)",
      `inferred from the weights: ${LSTM_LINE.replace(/^nn\.LSTM/, 'nn.LSTM')}`,
      "config: nn.LSTM(input_size=16, hidden_size=32, num_layers=2, bias=True, batch_first=False, dropout=0.0, bidirectional=False, proj_size=0) from the weights (they cannot tell batch_first and dropout: PyTorch's defaults unless given with --batch-first or --config)",
    ]);
    expect(lines).toContain('  weight_hh_l1  [128, 32]');
    expect(lines).toContain('parameter count: 14848'); // 128·16 + 128·32 + 2·128, then 128·32 + 128·32 + 2·128
  });

  it('lists both recurrent modules of an encoder/decoder and asks for --prefix; with it, describes one', async () => {
    const { code, stdout } = await runCli(['info', '--weights', fixture('seq2seq.pt'), '--backend', 'cpu']);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').filter((line) => !/^(backend|engines|wasm engine): /.test(line))).toEqual([
      `weights: ${fixture('seq2seq.pt')} (pt)`,
      'recurrent modules (2):',
      "  'encoder.rnn.': nn.GRU(input_size=8, hidden_size=12, num_layers=1, bidirectional=True, bias=True)",
      "  'decoder.rnn.': nn.LSTM(input_size=24, hidden_size=20, num_layers=1, bidirectional=False, bias=True, proj_size=6)",
      'other modules (3):',
      "  'encoder.embedding.': Embedding or Linear weight [50, 8]",
      "  'decoder.norm.': LayerNorm weight [6], bias [6]",
      "  'decoder.out.': Embedding or Linear weight [50, 6]",
      'module: choose one of the 2 recurrent modules with --prefix (e.g. --prefix encoder.rnn) for run, check, convert and info',
    ]);
    const chosen = await runCli(['info', '--weights', fixture('seq2seq.pt'), '--prefix', 'decoder.rnn', '--batch-first', '--backend', 'cpu']);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toContain("module: 'decoder.rnn.' (--prefix)\n");
    expect(chosen.stdout).toContain(
      "config: nn.LSTM(input_size=24, hidden_size=20, num_layers=1, bias=True, batch_first=True, dropout=0.0, bidirectional=False, proj_size=6) from the weights and --batch-first (",
    );
    expect(chosen.stdout).toContain('  weight_hr_l0  [6, 20]\n');
  });
});

describe('a whole model with a BatchNorm', () => {
  it("lists the BatchNorm without its int64 step counter, and runs the GRU as PyTorch's", async () => {
    const info = await runCli(['info', '--weights', fixture('crnn.pt'), '--backend', 'cpu']);
    expect(info.code).toBe(0);
    expect(info.stdout.split('\n').slice(1, 8)).toEqual([
      'recurrent modules (1):',
      "  'gru.': nn.GRU(input_size=8, hidden_size=16, num_layers=1, bidirectional=False, bias=True)",
      'other modules (3):',
      "  'conv.': other weight [8, 4, 3], bias [8]",
      "  'bn.': other weight [8], bias [8], running_mean [8], running_var [8]",
      "  'fc.': Linear weight [3, 16], bias [3]",
      "module: 'gru.' (the only recurrent one)",
    ]);
    const run = await runCli(['run', '--workers', '1', '--quiet', '--weights', fixture('crnn.pt'), '--batch-first', '--input', fixture('gru_input.npy'), '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')]);
    expect(run.code).toBe(0);
    await expectPyTorchOutputs([['out.npy', 'gru_output.npy'], ['hn.npy', 'gru_h_n.npy']]);
  });
});

describe("run and check reproduce PyTorch's recurrent module of a whole model", () => {
  it.each([
    ['model.pt', []],
    ['model.pt', ['--prefix', 'lstm']],
    ['data_parallel.pt', []],
    ['data_parallel.pt', ['--prefix', 'module.lstm.', '--weights-key', 'model_state_dict']],
    ['compiled.pt', ['--prefix', 'lstm.']],
    ['nested.pt', ['--weights-key', 'models.student']],
    ['data_parallel.pt', ['--workers', '2', '--batch-size', '1']],
  ])('run %s %j --batch-first', async (name, extra) => {
    const { code, stderr } = await runLstm(['--weights', fixture(name), '--batch-first', '--quiet', ...extra]);
    expect([code, stderr]).toEqual([0, expect.stringMatching(/^3 sequences in .*\n$/)]);
    await expectPyTorchOutputs(LSTM_OUTPUTS);
  });

  it('takes batch_first from a config that holds only it', async () => {
    const config = await writeJson(dir, 'config.json', { batch_first: true });
    expect((await runLstm(['--weights', fixture('data_parallel.pt'), '--config', config, '--quiet'])).code).toBe(0);
    await expectPyTorchOutputs(LSTM_OUTPUTS);
  });

  it('runs each module of the encoder/decoder by --prefix', async () => {
    const encoder = await runCli(['run', '--workers', '1', '--quiet', '--weights', fixture('seq2seq.pt'), '--prefix', 'encoder.rnn', '--input', fixture('encoder_input.npy'), '--output', join(dir, 'enc.npy')]);
    expect(encoder.code).toBe(0);
    const decoder = await runCli(['run', '--workers', '1', '--quiet', '--weights', fixture('seq2seq.pt'), '--prefix', 'decoder.rnn.', '--input', fixture('encoder_output.npy'), '--output', join(dir, 'dec.npy'), '--hn', join(dir, 'dec_hn.npy')]);
    expect(decoder.code).toBe(0);
    await expectPyTorchOutputs([['enc.npy', 'encoder_output.npy'], ['dec.npy', 'decoder_output.npy'], ['dec_hn.npy', 'decoder_h_n.npy']]);
  });

  it('runs a state_dict nested under a key with a dot in it', async () => {
    const { code } = await runCli(['run', '--workers', '1', '--quiet', '--weights', fixture('nested.pt'), '--weights-key', 'models.teacher.ema.rnn', '--input', fixture('encoder_input.npy'), '--output', join(dir, 'enc.npy')]);
    expect(code).toBe(0);
    await expectPyTorchOutputs([['enc.npy', 'encoder_output.npy']]);
  });

  it("takes an RNN's relu from --nonlinearity or a config of just that key; tanh is not PyTorch's output", async () => {
    const rnnRun = (extra: string[], out: string) =>
      runCli(['run', '--workers', '1', '--quiet', '--weights', fixture('regressor.pt'), '--input', fixture('rnn_input.npy'), '--output', join(dir, `${out}.npy`), '--hn', join(dir, `${out}_hn.npy`), ...extra]);
    expect((await rnnRun(['--nonlinearity', 'relu'], 'flag')).code).toBe(0);
    const config = await writeJson(dir, 'config.json', { nonlinearity: 'relu' });
    expect((await rnnRun(['--config', config], 'config')).code).toBe(0);
    await expectPyTorchOutputs([['flag.npy', 'rnn_output.npy'], ['flag_hn.npy', 'rnn_h_n.npy'], ['config.npy', 'rnn_output.npy'], ['config_hn.npy', 'rnn_h_n.npy']]);
    const tanh = await runCli(['check', '--workers', '1', '--quiet', '--weights', fixture('regressor.pt'), '--input', fixture('rnn_input.npy'), '--expected-output', fixture('rnn_output.npy')]);
    expect(tanh.code).toBe(1);
  });

  it('check: both implementations within tolerance of PyTorch, from the DataParallel checkpoint', async () => {
    const expected = ['--expected-output', fixture('lstm_output.npy'), '--expected-hn', fixture('lstm_h_n.npy'), '--expected-cn', fixture('lstm_c_n.npy')];
    const { code, stdout } = await runCli(['check', '--workers', '1', '--quiet', '--weights', fixture('data_parallel.pt'), '--batch-first', '--input', fixture('lstm_input.npy'), ...expected]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/output, manual vs expected: .*: ok/);
    expect(stdout).toMatch(/c_n, layers vs expected: .*: ok/);
    expect(stdout).toContain('check passed: 9 comparisons within tolerance');
  });
});

describe('convert --prefix records the configuration from the weights and the flags', () => {
  it('writes the decoder alone as safetensors; run needs no flag afterwards', async () => {
    const out = join(dir, 'decoder.safetensors');
    const converted = await runCli(['convert', '--weights', fixture('seq2seq.pt'), '--prefix', 'decoder.rnn', '--to', 'safetensors', out]);
    expect(converted).toEqual({ code: 0, stdout: `${fixture('seq2seq.pt')} (pt) -> ${out} (safetensors)\n`, stderr: '' });
    const run = await runCli(['run', '--workers', '1', '--quiet', '--weights', out, '--input', fixture('encoder_output.npy'), '--output', join(dir, 'dec.npy')]);
    expect(run.code).toBe(0);
    await expectPyTorchOutputs([['dec.npy', 'decoder_output.npy']]);
  });

  it('records --batch-first', async () => {
    const out = join(dir, 'lstm.json');
    expect((await runCli(['convert', '--weights', fixture('compiled.pt'), '--batch-first', '--to', 'json', out])).code).toBe(0);
    const info = await runCli(['info', '--weights', out, '--backend', 'cpu']);
    expect(info.stdout).toContain(`batch_first=True, dropout=0.0, bidirectional=False, proj_size=0) from ${out} (recorded config)\n`);
  });
});

describe('refusals: exit 2, one line, nothing written', () => {
  const lstmRun = (weights: string, extra: string[]) => ['run', '--workers', '1', '--weights', weights, '--input', fixture('lstm_input.npy'), '--output', join(dir, 'out.npy'), ...extra];
  const encoderRun = (extra: string[]) => ['run', '--workers', '1', '--weights', fixture('seq2seq.pt'), '--input', fixture('encoder_input.npy'), '--output', join(dir, 'out.npy'), ...extra];

  it('lists the recurrent modules when there are several and no --prefix', async () => {
    await expectRejected(encoderRun([]), "tfjs-rnn run: --prefix: expected a state_dict with one nn.RNN, nn.LSTM or nn.GRU, got 2 recurrent modules, 'encoder.rnn.', 'decoder.rnn.': choose one with --prefix");
  });

  it.each(['decoder', 'decoder.norm', 'encoder.rnn.weight_ih_l0', 'rnn', ''])('lists the recurrent modules for --prefix %j', async (prefix) => {
    await expectRejected(encoderRun(['--prefix', prefix]), `tfjs-rnn run: --prefix: expected the prefix of a recurrent module of the state_dict: 'encoder.rnn.', 'decoder.rnn.', got '${prefix}'`);
  });

  it('says which modules a state_dict without a recurrent one holds', async () => {
    const head = join(dir, 'head.safetensors');
    await saveStateDict(head, { 'fc.weight': hostArray([5, 32], new Float32Array(160)), 'fc.bias': hostArray([5], new Float32Array(5)) });
    const { code, stdout, stderr } = await runCli(['info', '--weights', head]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toBe(`tfjs-rnn info: ${head}: expected the parameters of an nn.RNN, nn.LSTM or nn.GRU (PyTorch's state_dict keys and shapes), got no key ending in weight_ih_l0 (modules 'fc.')\n`);
  });

  it('lists the recurrent modules for a --prefix naming another module', async () => {
    await expectRejected(
      ['info', '--weights', fixture('model.pt'), '--prefix', 'fc'],
      "tfjs-rnn info: --prefix: expected the prefix of a recurrent module of the state_dict: 'lstm.', got 'fc'",
    );
  });

  it("names the config file, the field and both values when the config contradicts the weights", async () => {
    const config = await writeJson(dir, 'config.json', { hidden_size: 16, batch_first: true });
    await expectRejected(lstmRun(fixture('model.pt'), ['--config', config]), `tfjs-rnn run: ${config}: hidden_size: expected 32 (as the weights ${fixture('model.pt')} have), got 16`);
    await fs.rm(config);
    const gru = await writeJson(dir, 'gru.json', { mode: 'GRU' });
    await expectRejected(lstmRun(fixture('model.pt'), ['--config', gru]), `tfjs-rnn run: ${gru}: mode: expected LSTM (as the weights ${fixture('model.pt')} have), got GRU`);
    await fs.rm(gru);
  });

  it('names the flag and both values when a flag contradicts the config', async () => {
    const config = await writeJson(dir, 'config.json', { batch_first: false });
    await expectRejected(lstmRun(fixture('model.pt'), ['--config', config, '--batch-first']), `tfjs-rnn run: --batch-first: expected false as ${config} has batch_first, or no --batch-first, got true`);
    await fs.rm(config);
  });

  it("names the flag and both values when --nonlinearity contradicts the config's mode", async () => {
    const config = await writeJson(dir, 'config.json', { mode: 'RNN_TANH' });
    const argv = ['run', '--workers', '1', '--weights', fixture('regressor.pt'), '--input', fixture('rnn_input.npy'), '--output', join(dir, 'out.npy'), '--config', config, '--nonlinearity', 'relu'];
    await expectRejected(argv, `tfjs-rnn run: --nonlinearity: expected tanh as ${config} has nonlinearity, or no --nonlinearity, got relu`);
  });

  it('refuses --nonlinearity relu for an LSTM', async () => {
    await expectRejected(lstmRun(fixture('model.pt'), ['--nonlinearity', 'relu']), "tfjs-rnn run: --nonlinearity: expected nothing (or tanh) for the nn.LSTM of the weights: only an nn.RNN's can be chosen, got 'relu'");
  });

  it('says where a dotted --weights-key stops, and to use --prefix inside a state_dict', async () => {
    await expectRejected(
      lstmRun(fixture('nested.pt'), ['--weights-key', 'models.student.lstm']),
      `tfjs-rnn run: ${fixture('nested.pt')}['models']['student']: expected a checkpoint dict with an entry 'lstm', got a state_dict: select its module 'lstm' with --prefix lstm or { prefix: 'lstm' }, and models.student as the key`,
    );
    await expectRejected(
      lstmRun(fixture('nested.pt'), ['--weights-key', 'models.teacher']),
      `tfjs-rnn run: ${fixture('nested.pt')}['models']: expected a checkpoint dict with an entry 'teacher', got a dict of keys 'student', 'teacher.ema'`,
    );
  });
});
