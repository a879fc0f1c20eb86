import { join } from 'path';
import { LINE_INTERVAL_S, createProgress, formatProgressReport, resolveProgressStyle } from '../../src/cli/progress';
import { FIXTURES, makeTempDir, removeTempDir, runCli } from './helpers';

/** Progress off a terminal: plain lines a log keeps; --progress chooses. */

describe('progress lines', () => {
  test('one line every few seconds: done/total, percent, rate, elapsed and ETA', () => {
    let now = 0;
    let text = '';
    const progress = createProgress({ write: (chunk: string) => (text += chunk) }, 20000, 'lines', () => now);
    now = 1000;
    progress.advance(1000);
    expect(text).toBe('');
    now = LINE_INTERVAL_S * 1000;
    progress.advance(4000);
    now += 1000;
    progress.advance(1000);
    now = 2 * LINE_INTERVAL_S * 1000 + 1;
    progress.advance(1000);
    expect(progress.finish()).toBeCloseTo(2 * LINE_INTERVAL_S + 0.001);
    expect(text).toBe(
      'progress: 5000/20000 sequences (25%), 1000 seq/s, 0:05 elapsed, ETA 0:15\n' +
        'progress: 7000/20000 sequences (35%), 700 seq/s, 0:10 elapsed, ETA 0:19\n',
    );
    expect(text).not.toMatch(/\r|\x1b/);
  });

  test('hours in the ETA, and an unknown rate', () => {
    expect(formatProgressReport(1, 3601, 1)).toBe('progress: 1/3601 sequences (0%), 1 seq/s, 0:01 elapsed, ETA 1:00:00');
    expect(formatProgressReport(0, 10, 0)).toBe('progress: 0/10 sequences (0%), 0 seq/s, 0:00 elapsed, ETA --:--');
  });

  test('auto is a bar on a terminal and lines elsewhere; the others stay', () => {
    expect(resolveProgressStyle('auto', { write: () => true, isTTY: true })).toBe('bar');
    expect(resolveProgressStyle('auto', { write: () => true })).toBe('lines');
    expect(resolveProgressStyle('bar', { write: () => true })).toBe('bar');
    expect(resolveProgressStyle('none', { write: () => true, isTTY: true })).toBe('none');
  });
});

describe('--progress', () => {
  const MODEL = join(FIXTURES, 'model');
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeTempDir(dir);
  });
  const args = (...extra: string[]) => [
    'run', '--workers', '1', '--batch-size', '1', '--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json'),
    '--input', join(MODEL, 'input.npy'), '--output', join(dir, 'out.npy'), ...extra,
  ];
  const SUMMARY = /^\d+ sequences in \d+\.\d\d s \(\d+(\.\d)? seq\/s\), backend \w+, 1 worker\n$/;

  test('bar draws a bar off a terminal too; none and lines draw none on a terminal', async () => {
    expect((await runCli(args('--progress', 'bar'))).stderr).toMatch(/^\r\[\.{24}\] 0\/\d+ seq/);
    expect((await runCli(args('--progress', 'none'), true)).stderr).toMatch(SUMMARY);
    expect((await runCli(args('--progress', 'lines'), true)).stderr).not.toMatch(/\r|\x1b/);
  });

  test('an unknown style, or --quiet with another style, is a usage error', async () => {
    const unknown = await runCli(args('--progress', 'dots'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^tfjs-rnn run: --progress: expected one of auto, bar, lines, none, got 'dots'\n/);
    const both = await runCli(args('--progress', 'bar', '--quiet'));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^tfjs-rnn run: --quiet: expected no --progress but none \(it means --progress none\), got --progress bar\n/);
    expect((await runCli(args('--progress', 'none', '--quiet'), true)).stderr).toMatch(SUMMARY);
  });
});
