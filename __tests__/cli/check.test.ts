import { join } from 'path';
import { availableBackends } from '../../src/backend';
import { FIXTURES, makeTempDir, readNpy, removeTempDir, runCli, writeNpy } from './helpers';

const MODEL = join(FIXTURES, 'model');
const BASE = ['check', '--workers', '1', '--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json'), '--input', join(MODEL, 'input.npy'), '--h0', join(MODEL, 'h0.npy')];
const EXPECTED = ['--expected-output', join(MODEL, 'output.npy'), '--expected-hn', join(MODEL, 'h_n.npy')];

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

describe.each(availableBackends())('check against PyTorch on %s', (backend) => {
  it('passes with the default tolerance, reporting every comparison of output and h_n', async () => {
    const { code, stdout, stderr } = await runCli([...BASE, ...EXPECTED, '--backend', backend, '--batch-size', '3']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const labels = ['output, manual vs layers', 'output, manual vs expected', 'output, layers vs expected', 'h_n, manual vs layers', 'h_n, manual vs expected', 'h_n, layers vs expected'];
    labels.forEach((label, i) => {
      expect(lines[2 * i]).toMatch(new RegExp(`^${label}: max \\|diff\\| \\S+, max rel \\S+, worst at \\[\\d+, \\d+, \\d+\\]: \\S+ vs \\S+ \\(rtol 0\\.0000013, atol 0\\.00001\\): ok$`));
      expect(lines[2 * i + 1]).toMatch(/^ {2}per sequence max \|diff\|: median \S+, max \S+ \(sequence [0-3]\); 0 of 4 outside tolerance$/);
    });
    expect(lines[12]).toBe('check passed: 6 comparisons within tolerance');
    expect(stderr).toMatch(new RegExp(`^4 sequences in .*backend ${backend}, 1 worker\\n$`));
  });

  it('passes with --lengths against PyTorch packed sequences', async () => {
    const packed = ['--lengths', join(MODEL, 'lengths.npy'), '--expected-output', join(MODEL, 'packed_output.npy'), '--expected-hn', join(MODEL, 'packed_h_n.npy')];
    expect((await runCli([...BASE, ...packed, '--backend', backend])).code).toBe(0);
  });
});

describe('check outside tolerance', () => {
  it('exits 1 naming the worst element, its sequence and the number of sequences outside', async () => {
    const expected = await readNpy(join(MODEL, 'output.npy'));
    expected.data[2 * 6 * 10 + 3 * 10 + 7] += 1e-3; // sequence 2, step 3, feature 7 (batch_first [N, L, 2H])
    const perturbed = await writeNpy(dir, 'output.npy', expected);
    const { code, stdout } = await runCli([...BASE, '--expected-output', perturbed]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^output, manual vs expected: max \|diff\| 1\.00e-3, .*worst at \[2, 3, 7\]: .*: OUTSIDE TOLERANCE\n {2}per sequence max \|diff\|: median \S+, max 1\.00e-3 \(sequence 2\); 1 of 4 outside tolerance$/m);
    expect(stdout).toMatch(/^output, manual vs layers: .*: ok$/m);
    expect(stdout).toMatch(/check FAILED: 2 of 4 comparisons outside tolerance\n$/);
  });

  it('takes --rtol and --atol', async () => {
    const expected = await readNpy(join(MODEL, 'output.npy'));
    expected.data[0] += 1e-3;
    const perturbed = await writeNpy(dir, 'output.npy', expected);
    expect((await runCli([...BASE, '--expected-output', perturbed, '--atol', '2e-3'])).code).toBe(0);
    expect((await runCli([...BASE, '--expected-output', perturbed, '--rtol', '0', '--atol', '0'])).code).toBe(1);
  });

  it('rejects an expected array of another shape before running (exit 2)', async () => {
    const { code, stderr } = await runCli([...BASE, '--expected-hn', join(MODEL, 'output.npy')]);
    expect(code).toBe(2);
    expect(stderr).toBe(`tfjs-rnn check: ${join(MODEL, 'output.npy')}: expected [4, 4, 5] (the h_n of this input), got [4, 6, 10]\n`);
  });
});
