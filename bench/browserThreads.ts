/**
 * `npm run bench:browser`: the wasm backend's threads in headless Chromium. Bundles
 * `browser/threads.ts` as an application would (esbuild, `tfjs-rnn` through the package's
 * `exports`: run `npm run build` first), serves it cross-origin isolated, and times LSTM
 * inference on the big shapes with 1 and 2 threads, in alternating page loads (a page's
 * thread count is fixed when its backend starts), `--rounds` of each (default 3), each round
 * `--calls` timed calls after a warm-up (default 5). Prints per round and thread count the
 * median ms per call, then the median over rounds and the speedup.
 */
import { context } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { chromium } from 'playwright-core';
import { copyWasmFiles, pageBundleOptions, serveIsolated } from '../examples/browser/build';
import { PageShape, PageTimes } from './browser/types';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHAPES: PageShape[] = [
  { mode: 'LSTM', batch: 32, seq: 100, input: 64, hidden: 128 },
  { mode: 'LSTM', batch: 256, seq: 50, input: 128, hidden: 256 },
];

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
  const rounds = flag('rounds', 3);
  const calls = flag('calls', 5);
  const outdir = mkdtempSync(join(tmpdir(), 'tfjs-rnn-bench-'));
  copyWasmFiles(outdir);
  writeFileSync(join(outdir, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="threads.js"></script>\n');
  const bundler = await context(pageBundleOptions(outdir, [join(__dirname, 'browser', 'threads.ts')]));
  const served = await bundler.serve({ servedir: outdir, host: '127.0.0.1', port: 0 });
  const front = await serveIsolated(served.port, 0);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const medians = new Map<number, number[][]>([[1, []], [2, []]]);
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const threads of [1, 2]) {
        const page = await browser.newPage();
        await page.goto(front.url);
        await page.waitForFunction('window.tfjsRnnBench !== undefined');
        const times = (await page.evaluate(
          ([count, shapes, callCount]) => (globalThis as unknown as { tfjsRnnBench: (...args: unknown[]) => Promise<PageTimes> }).tfjsRnnBench(count, shapes, callCount),
          [threads, SHAPES, calls] as const,
        )) as PageTimes;
        await page.close();
        if (times.threads !== threads) throw new Error(`asked for ${threads} threads, the page ran ${times.threads} (crossOriginIsolated: ${times.crossOriginIsolated})`);
        const roundMedians = times.msPerCall.map(median);
        medians.get(threads)!.push(roundMedians);
        console.log(`round ${round}, ${threads} thread${threads > 1 ? 's' : ''}: ${roundMedians.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}`);
      }
    }
    SHAPES.forEach(({ mode, batch, seq, input, hidden }, i) => {
      const [one, two] = [1, 2].map((threads) => median(medians.get(threads)!.map((round) => round[i])));
      console.log(`${mode} (${batch},${seq},${input},${hidden}): 1 thread ${one.toFixed(1)} ms, 2 threads ${two.toFixed(1)} ms, speedup ${(one / two).toFixed(2)}x`);
    });
  } finally {
    await browser.close();
    await front.close();
    await bundler.dispose();
    rmSync(outdir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
