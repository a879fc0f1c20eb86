import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'fs';
import { join } from 'path';
import { Browser, chromium } from 'playwright-core';
import { BackendName, FORWARD_TOLERANCE, RecurrentModel, initBackend } from '../../src';
import { ExampleServer, FIXTURE, LANGUAGE_MODEL, OUT_DIR, serveExample } from '../../examples/browser/build';
import { PageResults, PageStatus, StoredTensor } from '../../examples/browser/results';
import { expectClose } from '../helpers/expectClose';
import { initialStateOf, loadFixtures, tensorOf } from '../helpers/fixtures';
import { MODEL_FIXTURE_ROOT, readNpyFile } from '../helpers/modelFixtures';
import { layersFromTorch, manualFromTorch } from '../helpers/models';

/**
 * The example page in a real browser: bundled as an application bundles it, served on
 * 127.0.0.1, run by Debian's Chromium (headless, driven by playwright-core, which downloads
 * no browser) on each backend a page has.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BACKENDS: BackendName[] = ['wasm', 'cpu'];
/** The README shows this screenshot (of the wasm run); the test rewrites it each run. */
const SCREENSHOT = join(OUT_DIR, 'screenshot.png');

const hasChromium = existsSync(CHROMIUM);
const onCI = process.env.CI === 'true';
if (!hasChromium && !onCI) {
  console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it, and under CI=true this test fails instead)`);
}

/** What one page load gave: how it ended, what it left on `window.tfjsRnn`, and every problem the browser reported. */
interface PageRun {
  status: PageStatus;
  results: PageResults | undefined;
  problems: string[];
}

async function runPage(browser: Browser, url: string, screenshot?: string): Promise<PageRun> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  try {
    await page.goto(url);
    // Expressions in the page (strings: the tests are compiled without the DOM's types).
    await page.waitForFunction("document.body.dataset.status !== 'running'", undefined, { timeout: 60_000 });
    const status = (await page.evaluate('document.body.dataset.status')) as PageStatus;
    const results = (await page.evaluate('window.tfjsRnn')) as PageResults | undefined;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { status, results, problems };
  } finally {
    await page.close();
  }
}

/** How many elements of `actual` differ from `expected` in their float32 bits, and by how much at most. */
function bitDifferences(actual: StoredTensor, expected: tf.Tensor): { shape: number[]; differing: number; maxAbsDiff: number } {
  const reference = expected.dataSync();
  const values = Float32Array.from(actual.data);
  let differing = 0;
  let maxAbsDiff = 0;
  values.forEach((value, i) => {
    if (!Object.is(value, reference[i])) differing++;
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(value - reference[i]));
  });
  return { shape: actual.shape, differing, maxAbsDiff };
}

(hasChromium || onCI ? describe : describe.skip)('the example page in headless Chromium', () => {
  const [fixture] = loadFixtures(FIXTURE);
  const runs = new Map<BackendName, PageRun>();
  let server: ExampleServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`);
    server = await serveExample(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    for (const backend of BACKENDS) {
      runs.set(backend, await runPage(browser, `${server.url}?backend=${backend}`, backend === 'wasm' ? SCREENSHOT : undefined));
    }
    console.log(`browser test: screenshot of the wasm run in ${SCREENSHOT}`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  describe.each(BACKENDS)('on %s', (backend) => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    const resultsOf = (): PageResults => {
      const run = runs.get(backend)!;
      expect(run.status).toBe('done');
      return run.results!;
    };

    test('the page runs to the end with no console error, page error or failed request', () => {
      expect(runs.get(backend)!.problems).toEqual([]);
      expect(resultsOf().backend).toBe(backend);
    });

    test('both implementations match the PyTorch fixture within the forward tolerance', () => {
      const { manual, layers } = resultsOf().fixture;
      for (const [name, run] of Object.entries({ manual, layers })) {
        const actual = { output: tensorOf(run.output), hN: tensorOf(run.hN) };
        const expected = { output: tensorOf(fixture.output), hN: tensorOf(fixture.h_n) };
        try {
          expectClose(actual.output, expected.output, FORWARD_TOLERANCE, `${name} output`);
          expectClose(actual.hN, expected.hN, FORWARD_TOLERANCE, `${name} h_n`);
        } finally {
          tf.dispose([...Object.values(actual), ...Object.values(expected)]);
        }
      }
    });

    test("the notebook's scenarios: hand-written and tf.layers agree within the forward tolerance", () => {
      const { scenarios } = resultsOf();
      expect(scenarios).toHaveLength(3);
      for (const { title, manual, layers } of scenarios) {
        const tensors = [manual.output, layers.output, manual.hN, layers.hN].map(tensorOf);
        try {
          expectClose(tensors[0], tensors[1], FORWARD_TOLERANCE, `${title}: output`);
          expectClose(tensors[2], tensors[3], FORWARD_TOLERANCE, `${title}: h_n`);
        } finally {
          tf.dispose(tensors);
        }
      }
    });

    test("the generation demo continues the prompts with PyTorch's greedy tokens", () => {
      // fixtures/models/char_lm/generated.npy: PyTorch's argmax fed back with the LSTM's state (scripts/make_model_fixtures.py).
      const generated = readNpyFile(join(MODEL_FIXTURE_ROOT, LANGUAGE_MODEL, 'generated.npy'));
      const [rows, steps] = generated.shape;
      const expected = Array.from({ length: rows }, (_, n) => Array.from(generated.values.subarray(n * steps, (n + 1) * steps)));
      const { name, tokens, msPerToken } = resultsOf().generation;
      expect({ name, tokens }).toEqual({ name: LANGUAGE_MODEL, tokens: expected });
      expect(msPerToken).toBeGreaterThan(0);
    });

    // Same kernels, same order of operations: the wasm backend runs the same tfjs-backend-wasm
    // binary (SIMD, one thread: a page that is not cross-origin isolated has no threads, and
    // Node never uses them), the cpu backend the same JavaScript on V8.
    test("the same float32 bits as Node's backend of the same name", () => {
      if (backend === 'wasm') expect([resultsOf().wasmSimd, resultsOf().wasmThreads]).toEqual([true, false]);
      const models: [string, RecurrentModel][] = [
        ['manual', manualFromTorch(fixture)],
        ['layers', layersFromTorch(fixture)],
      ];
      const page = resultsOf().fixture;
      for (const [name, model] of models) {
        model.training = false;
        const node = tf.tidy(() => model.forward(tensorOf(fixture.input), initialStateOf(fixture)));
        const run = page[name as 'manual' | 'layers'];
        expect([name, bitDifferences(run.output, node.output), bitDifferences(run.hN, node.hN)]).toEqual([
          name,
          { shape: node.output.shape, differing: 0, maxAbsDiff: 0 },
          { shape: node.hN.shape, differing: 0, maxAbsDiff: 0 },
        ]);
        tf.dispose(Object.values(node));
        model.dispose();
      }
    });
  });
});
