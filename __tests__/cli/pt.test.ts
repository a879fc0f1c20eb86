import { promises as fs } from 'fs';
import { join } from 'path';
import { FORWARD_TOLERANCE, compareArrays } from '../../src/compare';
import { loadStateDict } from '../../src/formats';
import { itWithTorch, runPython } from '../helpers/python';
import { FIXTURES, listDir, makeTempDir, readNpy, removeTempDir, runCli } from './helpers';

/**
 * PyTorch's own files on the command line: `--weights` told by content (`.pt`, `.pth`, `.bin`),
 * checkpoints, `--weights-key`, refusals, and `convert --to pt` read back by PyTorch.
 * Fixtures: scripts/make_pt_fixtures.py (fixtures/pt) and make_cli_fixtures.py (fixtures/cli).
 */

const PT = join(__dirname, '..', '..', 'fixtures', 'pt');
/** nn.LSTM(3, 5, num_layers=2, proj_size=2, batch_first=True, bidirectional=True), its input and PyTorch's outputs. */
const LSTM = join(PT, 'lstm_proj');
const RNN = join(FIXTURES, 'model');

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

/** `run` of the LSTM fixture with `weights` (and `extra` flags), writing out.npy and hn.npy in `dir`. */
function runLstm(weights: string, extra: string[] = []): ReturnType<typeof runCli> {
  const files = ['--config', join(LSTM, 'config.json'), '--input', join(LSTM, 'input.npy'), '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')];
  return runCli(['run', '--workers', '1', '--weights', weights, ...extra, ...files]);
}

async function expectPyTorchOutputs(): Promise<void> {
  for (const [written, expected] of [['out.npy', 'output.npy'], ['hn.npy', 'h_n.npy']]) {
    const comparison = compareArrays(await readNpy(join(dir, written)), await readNpy(join(LSTM, expected)), FORWARD_TOLERANCE);
    expect([written, comparison.ok]).toEqual([written, true]);
  }
}

describe('run and check with a PyTorch file as --weights', () => {
  it("matches PyTorch with torch.save's state_dict of an LSTM with projection, named pytorch_model.bin", async () => {
    const result = await runLstm(join(PT, 'pytorch_model.bin'));
    expect(result.code).toBe(0);
    await expectPyTorchOutputs();
  });

  it("finds a checkpoint's state_dict under 'model', past the optimizer state, or takes --weights-key", async () => {
    expect((await runLstm(join(PT, 'checkpoint.pt'))).code).toBe(0);
    await expectPyTorchOutputs();
    const first = await fs.readFile(join(dir, 'out.npy'));
    expect((await runLstm(join(PT, 'checkpoint.pt'), ['--weights-key', 'model'])).code).toBe(0);
    expect(await fs.readFile(join(dir, 'out.npy'))).toEqual(first);
  });

  it('checks both implementations against PyTorch from the checkpoint', async () => {
    const files = ['--config', join(LSTM, 'config.json'), '--input', join(LSTM, 'input.npy')];
    const expected = ['--expected-output', join(LSTM, 'output.npy'), '--expected-hn', join(LSTM, 'h_n.npy')];
    const { code, stdout } = await runCli(['check', '--workers', '1', '--weights', join(PT, 'checkpoint.pt'), ...files, ...expected]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/output, manual vs expected: .*: ok/);
    expect(stdout).toMatch(/output, layers vs expected: .*: ok/);
  });

  it("info names the checkpoint entry and reads the LSTM's projection", async () => {
    const { code, stdout } = await runCli(['info', '--weights', join(PT, 'checkpoint.pt')]);
    expect(code).toBe(0);
    expect(stdout).toContain(`weights: ${join(PT, 'checkpoint.pt')} (pt, checkpoint['model'])`);
    expect(stdout).toContain('inferred from the weights: nn.LSTM(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, bias=True, proj_size=2)');
  });
});

describe('PyTorch files refused: exit 2, one line naming the file, nothing written', () => {
  it.each([
    ['legacy.pt', [], 'expected a PyTorch file (the zip archive torch.save writes), got the legacy torch.save format'],
    ['module.pt', [], 'got a whole pickled nn.Module (torch.nn.modules.rnn.GRU); load it in Python and save model.state_dict() instead'],
    ['system.pt', [], 'got the global posix.system, which is never resolved or called'],
    ['torchscript.pt', [], 'got a TorchScript archive (torch.jit.save)'],
    ['two_state_dicts.pt', [], "got state_dicts under 'state_dict' and 'model'"],
    ['checkpoint.pt', ['--weights-key', 'nope'], "expected a checkpoint dict with an entry 'nope', got a dict of keys 'epoch', 'model', 'optimizer'"],
  ])('%s %j', async (name, extra, message) => {
    const before = await listDir(dir);
    const { code, stdout, stderr } = await runLstm(join(PT, name), extra);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const [line, rest] = stderr.split('\n');
    expect(line.startsWith(`tfjs-rnn run: ${join(PT, name)}`)).toBe(true);
    expect(line).toContain(message);
    expect(rest).toBe('');
    expect(await listDir(dir)).toEqual(before);
  });

  it('refuses --weights-key for weights that are not a PyTorch file', async () => {
    const { code, stderr } = await runCli(['info', '--weights', join(RNN, 'weights.safetensors'), '--weights-key', 'model']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`tfjs-rnn info: --weights-key: expected a PyTorch file as --weights (it names a checkpoint entry), got ${join(RNN, 'weights.safetensors')}, a safetensors file`);
  });
});

describe('convert --to pt', () => {
  it('writes the state_dict as torch.save does, read back the same; refuses another extension', async () => {
    const out = join(dir, 'rnn.pt');
    const { code, stdout } = await runCli(['convert', '--weights', join(RNN, 'weights.safetensors'), '--config', join(RNN, 'config.json'), '--to', 'pt', out]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${join(RNN, 'weights.safetensors')} (safetensors) -> ${out} (pt)\n`);
    expect(await loadStateDict(out)).toEqual(await loadStateDict(join(RNN, 'weights.safetensors')));
    const wrong = await runCli(['convert', '--weights', join(RNN, 'weights.safetensors'), '--config', join(RNN, 'config.json'), '--to', 'pt', join(dir, 'rnn.safetensors')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.split('\n')[0]).toBe(`tfjs-rnn convert: OUT: expected a path ending in .pt or .pth or .bin for --to pt, got '${join(dir, 'rnn.safetensors')}'`);
  });

  itWithTorch("writes what torch.load(weights_only=True) reads into nn.RNN's load_state_dict, giving PyTorch's outputs", async (python) => {
    const out = join(dir, 'rnn.pt');
    expect((await runCli(['convert', '--weights', join(RNN, 'weights.safetensors'), '--config', join(RNN, 'config.json'), '--to', 'pt', out])).code).toBe(0);
    const script = [
      'import json, sys, numpy as np, torch',
      'out, model_dir = sys.argv[1:]',
      'rnn = torch.nn.RNN(**json.load(open(f"{model_dir}/config.json"))).eval()',
      'rnn.load_state_dict(torch.load(out, weights_only=True))',
      'x, h0 = (torch.from_numpy(np.load(f"{model_dir}/{name}.npy")) for name in ("input", "h0"))',
      'with torch.no_grad():',
      '    output, h_n = rnn(x, h0)',
      'diff = lambda a, name: float((a - torch.from_numpy(np.load(f"{model_dir}/{name}.npy"))).abs().max())',
      'print(json.dumps([diff(output, "output"), diff(h_n, "h_n")]))',
    ].join('\n');
    expect(JSON.parse(runPython(python, script, [out, RNN]))).toEqual([0, 0]);
  });
});
