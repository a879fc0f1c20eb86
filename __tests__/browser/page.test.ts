import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'fs';
import { join } from 'path';
import { Browser, Page, chromium } from 'playwright-core';
import { FORWARD_TOLERANCE, GRADIENT_TOLERANCE, RecurrentModel, Tolerance, compareArrays, describeComparison, initBackend } from '../../src';
import { ExampleServer, FIXTURE, LANGUAGE_MODEL, OUT_DIR, serveExample } from '../../examples/browser/build';
import { PageResults, PageStatus, StoredTensor } from '../../examples/browser/results';
import { FixtureRun, PageFixture, ParityRun } from './harness/results';
import { expectClose } from '../helpers/expectClose';
import { Fixture, initialStateOf, loadFixtures, tensorOf } from '../helpers/fixtures';
import { MODEL_FIXTURE_ROOT, readNpyFile } from '../helpers/modelFixtures';
import { layersFromTorch, manualFromTorch } from '../helpers/models';

/**
 * The package in a real browser: bundled as an application bundles it, served on 127.0.0.1
 * cross-origin isolated, run by Debian's Chromium (headless, driven by playwright-core, which
 * downloads no browser) on each backend a page has: wasm (one thread, and two), webgl
 * (SwiftShader's WebGL2 here, no GPU) and cpu. The example page, and the parity page
 * (`harness/`), which runs PyTorch fixtures of every mode, with lengths, h0/c0 and gradients.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * The example page's runs: wasm with one thread (whatever the machine's cores, so that its bits
 * are Node's), also timing every backend (`compare`); webgl; cpu.
 */
const BACKENDS = ['wasm', 'webgl', 'cpu'] as const;
type PageBackend = (typeof BACKENDS)[number];
const PAGE_QUERIES: Record<PageBackend, string> = { wasm: '?backend=wasm&threads=1&compare', webgl: '?backend=webgl', cpu: '?backend=cpu' };

/** The parity page's runs: each backend, and wasm with two threads (compared with its one-thread run). */
const PARITY_RUNS = [
  { label: 'wasm', backend: 'wasm', threads: 1 },
  { label: 'wasm, 2 threads', backend: 'wasm', threads: 2 },
  { label: 'webgl', backend: 'webgl', threads: undefined },
  { label: 'cpu', backend: 'cpu', threads: undefined },
] as const;
type ParityLabel = (typeof PARITY_RUNS)[number]['label'];

/** Every mode; bidirectional and not; lengths (packed), h0 and c0, projection, no bias, unbatched. */
// Few and small: SwiftShader's WebGL runs each op's shader on the CPU (a minute for these five on this machine under load).
const PARITY_FIXTURES = loadFixtures(
  'rnn/seed_single_batch_first',
  'rnn/packed_bi_l2_tanh_tm_h0',
  'lstm/packed_bi_l2_bf_h0_p2',
  'gru/grid_l1_uni_bias_tm_h0_batched',
  'gru/packed_bi_l2_tm_h0',
);

function pageFixture(fixture: Fixture): PageFixture {
  const { name, config, state_dict, input, h0, c0, lengths, d_output, d_h_n, d_c_n } = fixture;
  return { name, config: { ...config }, state_dict, input, h0, c0, lengths, d_output, d_h_n, d_c_n };
}

function expectWithin(actual: StoredTensor, expected: StoredTensor, tolerance: Tolerance, label: string): void {
  const comparison = compareArrays(actual, expected, tolerance);
  if (!comparison.ok) throw new Error(describeComparison(label, comparison));
}
/** The README shows this screenshot (of the wasm run); the test rewrites it each run. */
const SCREENSHOT = join(OUT_DIR, 'screenshot.png');

/**
 * Most one page load may take: about 10 s each on 2 idle cores, 60 s when other work loads them
 * tenfold (SwiftShader's WebGL runs its shaders on the same cores).
 */
const PAGE_TIMEOUT_MS = 240_000;

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

/** Collects every problem the browser reports on `page`. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return problems;
}

async function runPage(browser: Browser, url: string, screenshot?: string): Promise<PageRun> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = watchProblems(page);
  try {
    await page.goto(url, { timeout: PAGE_TIMEOUT_MS });
    // Expressions in the page (strings: the tests are compiled without the DOM's types).
    await page.waitForFunction("document.body.dataset.status !== 'running'", undefined, { timeout: PAGE_TIMEOUT_MS });
    const status = (await page.evaluate('document.body.dataset.status')) as PageStatus;
    const results = (await page.evaluate('window.tfjsRnn')) as PageResults | undefined;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { status, results, problems };
  } finally {
    await page.close();
  }
}

/** The parity page's run of `fixtures` on `backend`, and what the browser reported meanwhile. */
async function runParity(browser: Browser, url: string, { backend, threads }: (typeof PARITY_RUNS)[number], fixtures: PageFixture[]): Promise<{ run: ParityRun; problems: string[] }> {
  const page = await browser.newPage();
  const problems = watchProblems(page);
  try {
    await page.goto(url, { timeout: PAGE_TIMEOUT_MS });
    await page.waitForFunction('window.tfjsRnnParity !== undefined', undefined, { timeout: PAGE_TIMEOUT_MS });
    const run = (await page.evaluate(
      // Runs in the page (the tests are compiled without the DOM's types: globalThis is the window there).
      ([name, count, cases]) => (globalThis as unknown as { tfjsRnnParity: (...args: unknown[]) => Promise<ParityRun> }).tfjsRnnParity(name, count ?? undefined, cases),
      [backend, threads ?? null, fixtures] as const,
    )) as ParityRun;
    return { run, problems };
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
  const runs = new Map<PageBackend, PageRun>();
  const parity = new Map<ParityLabel, { run: ParityRun; problems: string[] }>();
  let server: ExampleServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`);
    server = await serveExample(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    for (const backend of BACKENDS) {
      runs.set(backend, await runPage(browser, `${server.url}${PAGE_QUERIES[backend]}`, backend === 'wasm' ? SCREENSHOT : undefined));
    }
    console.log(`browser test: screenshot of the wasm run in ${SCREENSHOT}`);
    const fixtures = PARITY_FIXTURES.map(pageFixture);
    for (const parityRun of PARITY_RUNS) parity.set(parityRun.label, await runParity(browser, `${server.url}harness/`, parityRun, fixtures));
  }, 7 * PAGE_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  describe.each(BACKENDS)('the example page on %s', (backend) => {
    beforeAll(async () => {
      // Node's backend of the same name, for the bit comparison (Node has no webgl).
      if (backend !== 'webgl') await initBackend(backend);
    });

    const resultsOf = (): PageResults => {
      const run = runs.get(backend)!;
      expect(run.status).toBe('done');
      return run.results!;
    };

    test('the page runs to the end with no console error, page error or failed request, cross-origin isolated', () => {
      expect(runs.get(backend)!.problems).toEqual([]);
      expect(resultsOf().backend).toBe(backend);
      expect(resultsOf().crossOriginIsolated).toBe(true);
    });

    test(backend === 'wasm' ? 'it times the fixture on every backend of the page, its own first' : 'it times no other backend unless asked (compare)', () => {
      const times = resultsOf().backendTimes;
      if (backend !== 'wasm') return expect(times).toEqual([]);
      expect(times.map((time) => time.backend).sort()).toEqual([...BACKENDS].sort());
      expect(times[0].backend).toBe(backend);
      for (const { manualMs, layersMs } of times) expect([manualMs, layersMs].every((ms) => Number.isFinite(ms) && ms > 0)).toBe(true);
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

    test("the seeded scenarios: hand-written and tf.layers agree within the forward tolerance", () => {
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
    // kernels (SIMD, one thread, as Node runs them), the cpu backend the same JavaScript on V8.
    // WebGL has no Node twin: its numbers are checked against PyTorch's above and below.
    if (backend === 'webgl') return;
    test("the same float32 bits as Node's backend of the same name", () => {
      if (backend === 'wasm') expect([resultsOf().wasmSimd, resultsOf().wasmThreads]).toEqual([true, 1]);
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
  describe.each(PARITY_RUNS.map((run) => [run.label, run] as const))('the parity page on %s', (label, { backend, threads }) => {
    const runOf = (): ParityRun => parity.get(label)!.run;
    const fixtureRun = (name: string): FixtureRun => runOf().runs.find((run) => run.name === name)!;

    test('runs every fixture with no console error, page error or failed request, and no tensor left behind', () => {
      expect(parity.get(label)!.problems).toEqual([]);
      expect(runOf().backend).toBe(backend);
      expect(runOf().runs.map((run) => run.name)).toEqual(PARITY_FIXTURES.map((fixture) => fixture.name));
      expect(runOf().leakedTensors).toBe(0);
    });

    if (threads !== undefined) {
      test(`the wasm backend runs ${threads} thread${threads > 1 ? 's' : ''} on the cross-origin isolated page`, () => {
        expect([runOf().crossOriginIsolated, runOf().threads]).toEqual([true, threads]);
      });
    }

    describe.each(PARITY_FIXTURES.map((fixture) => [fixture.name, fixture] as const))('%s', (name, fixture) => {
      test('both implementations match PyTorch within the forward tolerance', () => {
        const { manual, layers } = fixtureRun(name);
        for (const [implementation, values] of Object.entries({ manual, layers })) {
          expectWithin(values.output, fixture.output, FORWARD_TOLERANCE, `${implementation} output`);
          expectWithin(values.hN, fixture.h_n, FORWARD_TOLERANCE, `${implementation} h_n`);
          if (fixture.c_n) expectWithin(values.cN, fixture.c_n, FORWARD_TOLERANCE, `${implementation} c_n`);
        }
      });

      test('the hand-written gradients match PyTorch autograd within the gradient tolerance', () => {
        const { grad } = fixtureRun(name);
        expect(Object.keys(grad).sort()).toEqual(Object.keys(fixture.grad).sort());
        for (const [key, expected] of Object.entries(fixture.grad)) expectWithin(grad[key], expected, GRADIENT_TOLERANCE, `grad ${key}`);
      });

      if (threads !== undefined && threads > 1) {
        test('equal to the one-thread run within the tolerances', () => {
          const single = parity.get('wasm')!.run.runs.find((run) => run.name === name)!;
          const { manual, layers, grad } = fixtureRun(name);
          for (const [implementation, values] of Object.entries({ manual, layers })) {
            for (const [key, value] of Object.entries(values)) expectWithin(value, single[implementation as 'manual' | 'layers'][key], FORWARD_TOLERANCE, `${implementation} ${key}`);
          }
          for (const [key, value] of Object.entries(grad)) expectWithin(value, single.grad[key], GRADIENT_TOLERANCE, `grad ${key}`);
        });
      }
    });
  });
});
