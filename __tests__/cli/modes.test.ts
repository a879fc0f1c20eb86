import { join } from 'path';
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { availableBackends, initBackend } from '../../src/backend';
import { HostArray } from '../../src/formats';
import { FIXTURES, expectArraysClose, makeTempDir, readNpy, removeTempDir, runCli, writeNpy } from './helpers';

/**
 * `run` and `check` for every mode against PyTorch: the fixtures of `scripts/make_cli_fixtures.py`
 * (`fixtures/cli/{lstm,lstm_proj,gru}`), nn.LSTM and nn.GRU with 2 layers, bidirectional, run in
 * eval mode with h0 (and c0), plainly and through pack_padded_sequence(enforce_sorted=False).
 */

interface ModeCase {
  name: string;
  /** What the case covers. */
  title: string;
  lstm: boolean;
  /** The batch axis of input and output (batch_first: 0). */
  sequenceBatchAxis: number;
}

const CASES: ModeCase[] = [
  { name: 'lstm', title: 'nn.LSTM, time-major, config with "mode"', lstm: true, sequenceBatchAxis: 1 },
  { name: 'lstm_proj', title: 'nn.LSTM(proj_size=2), batch_first, mode inferred', lstm: true, sequenceBatchAxis: 0 },
  { name: 'gru', title: 'nn.GRU, batch_first, mode inferred', lstm: false, sequenceBatchAxis: 0 },
];

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

/** The flags naming a fixture's model and input, and its initial states (h0, and c0 for an LSTM). */
function fixtureFlags(modeCase: ModeCase): string[] {
  const fixture = join(FIXTURES, modeCase.name);
  const states = ['--h0', join(fixture, 'h0.npy'), ...(modeCase.lstm ? ['--c0', join(fixture, 'c0.npy')] : [])];
  return ['--weights', join(fixture, 'weights.safetensors'), '--config', join(fixture, 'config.json'), '--input', join(fixture, 'input.npy'), ...states];
}

/** The outputs of a case and their PyTorch files: output, h_n, and c_n for an LSTM (`prefix` 'packed_' for the run with lengths). */
function outputFiles(modeCase: ModeCase, prefix = ''): { flag: string; expected: string; name: string }[] {
  const fixture = join(FIXTURES, modeCase.name);
  const names = [
    ['output', 'output'],
    ['hn', 'h_n'],
    ...(modeCase.lstm ? [['cn', 'c_n']] : []),
  ];
  return names.map(([flag, name]) => ({ flag, name, expected: join(fixture, `${prefix}${name}.npy`) }));
}

describe.each(availableBackends())('every mode against PyTorch on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  const base = ['--backend', backend, '--workers', '1'];

  describe.each(CASES)('$title', (modeCase) => {
    const fixture = join(FIXTURES, modeCase.name);

    /** The plain run, and the one with --lengths against PyTorch's packed_* files. */
    const runs: [string, string, string[]][] = [
      ['', '', []],
      [' with --lengths', 'packed_', ['--lengths', join(fixture, 'lengths.npy')]],
    ];

    it.each(runs)('run%s writes PyTorch\'s output, h_n (and c_n) from --h0 (and --c0), in chunks of 3', async (_, prefix, lengths) => {
      const outputs = outputFiles(modeCase, prefix);
      const written = outputs.flatMap(({ flag, name }) => [`--${flag}`, join(dir, `${name}.npy`)]);
      const result = await runCli(['run', ...base, ...fixtureFlags(modeCase), ...lengths, ...written, '--batch-size', '3']);
      expect(result).toEqual({ code: 0, stdout: '', stderr: expect.stringMatching(/^4 sequences in /) });
      for (const { name, expected } of outputs) expectArraysClose(await readNpy(join(dir, `${name}.npy`)), await readNpy(expected), `${prefix}${name}`);
    });

    it.each(runs)('check%s passes against PyTorch\'s output, h_n (and c_n), for both implementations', async (_, prefix, lengths) => {
      const expectedFlags = outputFiles(modeCase, prefix).flatMap(({ flag, expected }) => [`--expected-${flag}`, expected]);
      const { code, stdout } = await runCli(['check', ...base, ...fixtureFlags(modeCase), ...lengths, ...expectedFlags]);
      expect(code).toBe(0);
      const names = modeCase.lstm ? ['output', 'h_n', 'c_n'] : ['output', 'h_n'];
      const labels = names.flatMap((name) => ['manual vs layers', 'manual vs expected', 'layers vs expected'].map((pair) => `${name}, ${pair}`));
      const reports = stdout.split('\n').filter((line) => !line.startsWith(' ') && line.includes(': max |diff|'));
      expect(reports.map((line) => line.slice(0, line.indexOf(': max')))).toEqual(labels);
      expect(reports.every((line) => line.endsWith(': ok'))).toBe(true);
      expect(stdout).toMatch(new RegExp(`check passed: ${labels.length} comparisons within tolerance\\n$`));
    });
  });

  it('runs an unbatched [L, F] LSTM sequence with [S, H] h0 and c0: sequence 0 of the PyTorch batch', async () => {
    const modeCase = CASES[0];
    const fixture = join(FIXTURES, modeCase.name);
    /** Row 0 along axis 1 (the batch axis of the time-major input and of the states). */
    const firstSequence = (array: HostArray): HostArray => {
      const [outer, batch, inner] = array.shape;
      const data = new Float32Array(outer * inner);
      for (let o = 0; o < outer; o++) data.set(array.data.subarray(o * batch * inner, o * batch * inner + inner), o * inner);
      return { shape: [outer, inner], data };
    };
    const sliced = async (name: string) => writeNpy(dir, `in_${name}.npy`, firstSequence(await readNpy(join(fixture, `${name}.npy`))));
    const flags = ['--weights', join(fixture, 'weights.safetensors'), '--config', join(fixture, 'config.json')];
    const inputs = ['--input', await sliced('input'), '--h0', await sliced('h0'), '--c0', await sliced('c0')];
    const outputs = ['--output', join(dir, 'output.npy'), '--hn', join(dir, 'h_n.npy'), '--cn', join(dir, 'c_n.npy')];
    expect((await runCli(['run', ...base, ...flags, ...inputs, ...outputs])).code).toBe(0);
    for (const name of ['output', 'h_n', 'c_n']) {
      expectArraysClose(await readNpy(join(dir, `${name}.npy`)), firstSequence(await readNpy(join(fixture, `${name}.npy`))), name);
    }
  });

  it('leaves no tensor behind: LSTM run (both implementations, c0 and c_n), check, convert, runs from its tfjs model', async () => {
    const modeCase = CASES[1];
    const sequences = [...base, ...fixtureFlags(modeCase), '--batch-size', '3'];
    const tfjs = join(dir, 'tfjs');
    const succeed = async (argv: string[]) => expect((await runCli(argv)).code).toBe(0);
    await succeed(['run', ...sequences, '--output', join(dir, 'warm.npy')]);
    const before = tf.memory().numTensors;
    for (const impl of ['manual', 'layers']) await succeed(['run', ...sequences, '--impl', impl, '--output', join(dir, `${impl}.npy`), '--cn', join(dir, `${impl}-cn.npy`)]);
    await succeed(['check', ...sequences]);
    const fixture = join(FIXTURES, modeCase.name);
    await succeed(['convert', '--weights', join(fixture, 'weights.safetensors'), '--config', join(fixture, 'config.json'), '--to', 'tfjs', tfjs]);
    await succeed(['run', ...base, '--weights', join(tfjs, 'model.json'), '--input', join(fixture, 'input.npy'), '--output', join(dir, 'tfjs.npy')]);
    await succeed(['info', '--weights', join(tfjs, 'model.json')]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('info for every mode', () => {
  it('prints the module and proj_size inferred from LSTM weights, and the full config', async () => {
    const fixture = join(FIXTURES, 'lstm_proj');
    const weights = join(fixture, 'weights.safetensors');
    const { code, stdout } = await runCli(['info', '--weights', weights, '--backend', 'cpu']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      `weights: ${weights} (safetensors)`,
      'recurrent modules (1):',
      "  '' (the model itself): nn.LSTM(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, bias=True, proj_size=2)",
      "module: '' (the only recurrent one)",
      'inferred from the weights: nn.LSTM(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, bias=True, proj_size=2)',
      "config: nn.LSTM(input_size=3, hidden_size=5, num_layers=2, bias=True, batch_first=False, dropout=0.0, bidirectional=True, proj_size=2) from the weights (they cannot tell batch_first and dropout: PyTorch's defaults unless given with --batch-first or --config)",
    ]);
    expect(lines).toContain('  weight_hr_l1_reverse  [2, 5]');
    expect(lines).toContain('parameter count: 640');
    expect(lines).toContain("engines: cpu: host arrays (engine 'host')");
    expect(lines).toContain(`wasm engine: with tfjs-backend-wasm 4.22.x its kernels are called directly, with any other version those steps run as tf ops; installed: ${version_wasm} (kernels called directly)`);
    const config = join(fixture, 'config.json');
    const full = "nn.LSTM(input_size=3, hidden_size=5, num_layers=2, bias=True, batch_first=True, dropout=0.0, bidirectional=True, proj_size=2)";
    expect((await runCli(['info', '--weights', weights, '--config', config, '--backend', 'cpu'])).stdout).toContain(`config: ${full} from ${config}\n`);
  });

  it('prints nn.GRU for GRU weights', async () => {
    const weights = join(FIXTURES, 'gru', 'weights.safetensors');
    const { stdout } = await runCli(['info', '--weights', weights, '--backend', 'cpu']);
    expect(stdout).toContain('inferred from the weights: nn.GRU(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, bias=True)\n');
    expect(stdout).toContain('parameter count: 810\n');
  });
});

describe('help for every mode', () => {
  it.each([
    ['run', ['--c0 C0', '--cn CN', 'nn.LSTM', 'proj_size', 'mode']],
    ['check', ['--c0 C0', '--expected-cn E3']],
  ])('%s --help names the LSTM flags and the config keys', async (command, texts) => {
    const { code, stdout } = await runCli([command, '--help']);
    expect(code).toBe(0);
    texts.forEach((text) => expect(stdout).toContain(text));
  });
});
