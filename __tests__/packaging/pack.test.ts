import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'child_process';
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { chromium } from 'playwright-core';
import { FORWARD_TOLERANCE, initBackend } from '../../src';
import { bufferSource, decodeNpyFloats, readNpyHeader } from '../../src/formats/npy';
import { SUPPORTED_WASM_VERSIONS } from '../../src/manual';
import { expectClose } from '../helpers/expectClose';
import { loadFixtures, tensorOf } from '../helpers/fixtures';

/** The repository; `npm test` builds its dist/ before jest runs, so packing needs no build here. */
const ROOT = resolve(__dirname, '..', '..');

/** The scripts run inside the user projects (a Node script, a web page's). */
const CONSUMER = join(__dirname, 'consumer');

/** Runs a command and returns its stdout; stderr is kept for the failure message. */
function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** npm without the registry's notices, preferring its cache. */
const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund'];

/** A forward pass through the installed package, printing the output shape and the backend. */
const FORWARD = `
  initBackend('cpu').then(() => {
    const rnn = new ManualRNN({ inputSize: 3, hiddenSize: 4, batchFirst: true }, { seed: 1 });
    const { output, hN } = rnn.forward(tf.randomNormal([2, 5, 3]));
    console.log(JSON.stringify({ output: output.shape, hN: hN.shape, backend: getBackendName() }));
  });
`;

/** The package's modules that only the Node entry reaches: files on disk (file:// model folders too), tfjs-node, the CLI. */
const NODE_MODULES = /dist\/(esm\/)?(index\.js|demo\/main\.js|cli\/|backend\/backend\.js|formats\/(stateDictFile|atomicWrite|npz|modelFiles|fileRouter)\.js)/;

/** The newest and the oldest tfjs 4 release of the peer range (package.json), both installed and run. */
const NEWEST_TFJS = '4.22.0';
const OLDEST_TFJS = '4.0.0';

/** One fixture (real PyTorch) of each mode: two layers, bidirectional, batch_first, h0 (and c0) given; the LSTM with a projection. */
const PARITY_FIXTURES = ['rnn/grid_l2_bi_tanh_bias_bf_h0_batched', 'lstm/grid_l2_bi_bias_bf_h0_batched_p2', 'gru/grid_l2_bi_bias_bf_h0_batched'];

/** What a second copy of tfjs prints when it registers a kernel, a backend or the platform again. */
const DUPLICATE_REGISTRATION = /already registered|has already been set/;

/** The warning of the wasm engine's adapter when the installed tfjs-backend-wasm is outside its versions. */
const WASM_FALLBACK = /^tfjs-rnn: @tensorflow\/tfjs-backend-wasm \S+ is outside .*tf ops instead/gm;

/**
 * A page importing ManualGRU, parseStateDict and initBackend('wasm'), bundled by esbuild (esm,
 * minified) when the package imported the @tensorflow/tfjs umbrella: 1,223,962 bytes
 * (docs/browser-bundles.md). The same page must now take at most 60% of that.
 */
const UMBRELLA_PAGE_BYTES = 1_223_962;
const PAGE_LIMIT_BYTES = Math.floor(0.6 * UMBRELLA_PAGE_BYTES);
const WASM_ONLY_PAGE = "import { ManualGRU, initBackend, parseStateDict } from 'tfjs-rnn';\ninitBackend('wasm').then(() => console.log(ManualGRU, parseStateDict));\n";

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI !== 'true') {
  console.warn(`packaging: the twin page is bundled but not run: no Chromium at ${CHROMIUM} (apt-get install chromium; under CI=true this fails instead)`);
}

/** The tarball, packed once for every project below, in a folder of its own. */
let packDir: string;
let tarball: string;
/** The user projects on each tfjs version, the tarball installed into each. */
const userProjects: Record<string, string> = {};

beforeAll(() => {
  packDir = mkdtempSync(join(tmpdir(), 'tfjs-rnn-tarball-'));
  const packed = run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], ROOT).trim().split('\n').pop()!;
  tarball = join(packDir, packed);
  for (const version of [NEWEST_TFJS, OLDEST_TFJS]) userProjects[version] = userProject(version);
}, 900_000);

afterAll(() => [packDir, ...Object.values(userProjects)].forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/**
 * A project that depends on `@tensorflow/tfjs` and `@tensorflow/tfjs-backend-wasm` at `version`,
 * installed first; then the packed tarball installed into it, as a user adds tfjs-rnn.
 */
function userProject(version: string): string {
  const project = mkdtempSync(join(tmpdir(), `tfjs-rnn-user-${version}-`));
  const dependencies = { '@tensorflow/tfjs': version, '@tensorflow/tfjs-backend-wasm': version };
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }));
  run('npm', NPM_INSTALL, project);
  run('npm', [...NPM_INSTALL, tarball], project);
  return project;
}

/** Every installed copy of each `@tensorflow/*` package in `project`, as `path@version`, from `npm ls --all --json --long`. */
function tensorflowCopies(project: string): Record<string, string[]> {
  interface Node {
    path?: string;
    version?: string;
    dependencies?: Record<string, Node>;
  }
  const copies: Record<string, Set<string>> = {};
  const walk = (node: Node): void => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      // A dependency listed with no path is not installed (the optional peer tfjs-node).
      if (name.startsWith('@tensorflow/') && child.path !== undefined) (copies[name] ??= new Set()).add(`${child.path}@${child.version}`);
      walk(child);
    }
  };
  walk(JSON.parse(run('npm', ['ls', '--all', '--json', '--long'], project)) as Node);
  return Object.fromEntries(Object.entries(copies).map(([name, paths]) => [name, [...paths].sort()]));
}

describe('npm pack, installed alone into an empty project', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'tfjs-rnn-pack-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', [...NPM_INSTALL, tarball], project);
  }, 600_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  test('npm adds the required peers (one copy each), not the optional tfjs-node', () => {
    const copies = tensorflowCopies(project);
    for (const peer of ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm']) expect(copies[peer]).toHaveLength(1);
    expect(Object.values(copies).filter((paths) => paths.length !== 1)).toEqual([]);
    expect(copies['@tensorflow/tfjs-node']).toBeUndefined();
  });

  test('ships the build with its type declarations and nothing else of the repository', () => {
    const files = readdirSync(join(project, 'node_modules', 'tfjs-rnn'));
    expect(files.sort()).toEqual(['README.md', 'dist', 'package.json']);
    const dist = readdirSync(join(project, 'node_modules', 'tfjs-rnn', 'dist'));
    expect(dist).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'browser.js', 'browser.d.ts', 'esm']));
  });

  test.each([
    ['import', `import { ManualRNN, parseStateDict, initBackend } from 'tfjs-rnn';`, 'node_modules/tfjs-rnn/dist/esm/browser.js'],
    ['require', `const { ManualRNN, parseStateDict, initBackend } = require('tfjs-rnn');`, 'node_modules/tfjs-rnn/dist/browser.js'],
  ])('a browser bundle (%s) resolves the browser entry, with no Node built-ins and no shims', async (_, line, entry) => {
    writeFileSync(join(project, 'app.js'), `${line}\nconsole.log(ManualRNN, parseStateDict, initBackend);\n`);
    const result = await build({
      absWorkingDir: project,
      entryPoints: ['app.js'],
      bundle: true,
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const ours = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('node_modules/tfjs-rnn/'));
    expect(ours).toContain(entry);
    expect(ours.filter((input) => NODE_MODULES.test(input))).toEqual([]);
    expect(ours.filter((input) => input.includes('/dist/esm/') !== entry.includes('/dist/esm/'))).toEqual([]);
  });

  const expected = { output: [2, 5, 4], hN: [1, 2, 4], backend: 'cpu' };

  test('require() works', () => {
    writeFileSync(
      join(project, 'use.cjs'),
      `const tf = require('@tensorflow/tfjs');\nconst { ManualRNN, initBackend, getBackendName } = require('tfjs-rnn');\n${FORWARD}`,
    );
    expect(JSON.parse(run('node', ['use.cjs'], project))).toEqual(expected);
  });

  test('import works', () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import * as tf from '@tensorflow/tfjs';\nimport { ManualRNN, initBackend, getBackendName } from 'tfjs-rnn';\n${FORWARD}`,
    );
    expect(JSON.parse(run('node', ['use.mjs'], project))).toEqual(expected);
  });

  test('npx tfjs-rnn info reads a PyTorch state_dict', () => {
    const [fixture] = loadFixtures('seed_bidirectional');
    writeFileSync(join(project, 'rnn.json'), JSON.stringify(fixture.state_dict));
    const info = run('npx', ['--no-install', 'tfjs-rnn', 'info', '--weights', 'rnn.json', '--backend', 'cpu'], project);
    expect(info).toMatch(/input_size=3, hidden_size=4, num_layers=1, bidirectional=True, bias=True/);
  });

  test('npx tfjs-rnn run with worker threads reproduces PyTorch', async () => {
    await initBackend('cpu');
    // Batch 2 in chunks of 1: two chunks, one per worker thread.
    const [fixture] = loadFixtures('grid_l2_bi_tanh_bias_bf_noh0_batched');
    writeFileSync(join(project, 'rnn.json'), JSON.stringify(fixture.state_dict));
    writeFileSync(join(project, 'config.json'), JSON.stringify(fixture.config));
    writeFileSync(join(project, 'x.json'), JSON.stringify(fixture.input));
    writeFileSync(join(project, 'expected.json'), JSON.stringify(fixture.output));
    const common = ['--weights', 'rnn.json', '--config', 'config.json', '--input', 'x.json', '--backend', 'cpu'];
    const runArgs = [...common, '--output', 'out.npy', '--workers', '2', '--batch-size', '1', '--quiet'];
    const result = spawnSync('npx', ['--no-install', 'tfjs-rnn', 'run', ...runArgs], { cwd: project, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^2 sequences in .*, backend cpu, 2 workers$/m);
    const check = run('npx', ['--no-install', 'tfjs-rnn', 'check', ...common, '--expected-output', 'expected.json'], project);
    expect(check).toMatch(/output, manual vs expected: .*: ok/);
    const bytes = readFileSync(join(project, 'out.npy'));
    const { shape, dataOffset } = readNpyHeader(bufferSource(bytes), ['float32'], 'out.npy');
    const output = tf.tensor(decodeNpyFloats(bytes.subarray(dataOffset), 'float32'), shape);
    const expected = tensorOf(fixture.output);
    expectClose(output, expected, FORWARD_TOLERANCE, 'out.npy');
    tf.dispose([output, expected]);
  });
});

describe.each([NEWEST_TFJS, OLDEST_TFJS])('installed into a project on @tensorflow/tfjs %s', (version) => {
  let project: string;
  beforeAll(() => {
    project = userProjects[version];
  });

  test('the project keeps one copy of each tfjs package, its own version', () => {
    const copies = tensorflowCopies(project);
    expect(Object.keys(copies)).toEqual(expect.arrayContaining(['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm']));
    for (const [name, paths] of Object.entries(copies)) expect([name, paths]).toEqual([name, [`${join(project, 'node_modules', name)}@${version}`]]);
  });

  test("PyTorch's numbers on wasm and cpu, each step loop, from tensors of the project's tf; tfjs registered once", () => {
    const fixtures = loadFixtures(...PARITY_FIXTURES);
    expect(fixtures.map((fixture) => fixture.name)).toEqual(PARITY_FIXTURES);
    writeFileSync(join(project, 'fixtures.json'), JSON.stringify(fixtures));
    copyFileSync(join(CONSUMER, 'parity.cjs'), join(project, 'parity.cjs'));
    const result = spawnSync('node', ['parity.cjs'], { cwd: project, encoding: 'utf8' });
    expect(result.stderr).not.toMatch(DUPLICATE_REGISTRATION);
    expect(result.status).toBe(0);
    const { tfjs, runs } = JSON.parse(result.stdout) as {
      tfjs: string;
      runs: { backend: string; fixture: string; loop: string; engine: string; problems: Record<string, string[]>; leaked: number }[];
    };
    expect(tfjs).toBe(version);
    expect(runs).toHaveLength(2 * PARITY_FIXTURES.length * 3);
    for (const { problems, leaked, ...where } of runs) expect({ ...where, problems, leaked }).toEqual({ ...where, problems: { manual: [], layers: [] }, leaked: 0 });
    // The wasm engine calls the backend's kernels only on the versions it was written against; any other runs tf ops, and says so once.
    const supported = version.startsWith(`${SUPPORTED_WASM_VERSIONS.major}.${SUPPORTED_WASM_VERSIONS.minor}.`);
    const wasmEngines = new Set(runs.filter((r) => r.backend === 'wasm' && r.loop === 'tensor').map((r) => r.engine));
    expect([...wasmEngines]).toEqual([supported ? 'wasm' : 'tensor']);
    expect(result.stderr.match(WASM_FALLBACK) ?? []).toHaveLength(supported ? 0 : 1);
  });

  test('npx tfjs-rnn info says which tfjs-backend-wasm versions get the wasm engine, and what the installed one gets', () => {
    const [fixture] = loadFixtures('gru/grid_l2_bi_bias_bf_h0_batched');
    writeFileSync(join(project, 'gru.json'), JSON.stringify(fixture.state_dict));
    const result = spawnSync('npx', ['--no-install', 'tfjs-rnn', 'info', '--weights', 'gru.json', '--backend', 'wasm'], { cwd: project, encoding: 'utf8' });
    expect(result.stderr).not.toMatch(DUPLICATE_REGISTRATION);
    expect(result.status).toBe(0);
    const supported = version.startsWith(`${SUPPORTED_WASM_VERSIONS.major}.${SUPPORTED_WASM_VERSIONS.minor}.`);
    expect(result.stdout).toContain(
      `wasm engine: with tfjs-backend-wasm ${SUPPORTED_WASM_VERSIONS.range} its kernels are called directly, with any other version those steps run as tf ops; ` +
        `installed: ${version} (${supported ? 'kernels called directly' : 'tf ops'})\n`,
    );
    expect(result.stdout).toMatch(supported ? /^engines: wasm: .*else wasm's kernels called directly/m : /^engines: wasm: .*else tf ops \(engine 'tensor'\)/m);
  });

  test("npx tfjs-rnn convert --to tfjs writes a LayersModel that run reads back to PyTorch's numbers", () => {
    // No h0 and c0 in the fixture: run's zeros.
    const [fixture] = loadFixtures('lstm/grid_l2_bi_bias_bf_noh0_batched_p2');
    writeFileSync(join(project, 'lstm.json'), JSON.stringify(fixture.state_dict));
    writeFileSync(join(project, 'lstm-config.json'), JSON.stringify(fixture.config));
    writeFileSync(join(project, 'lstm-x.json'), JSON.stringify(fixture.input));
    const tfjsRnn = (args: string[]): void => {
      const result = spawnSync('npx', ['--no-install', 'tfjs-rnn', ...args], { cwd: project, encoding: 'utf8' });
      expect(result.stderr).not.toMatch(DUPLICATE_REGISTRATION);
      expect([args[0], result.status, result.status === 0 ? '' : result.stderr]).toEqual([args[0], 0, '']);
    };
    tfjsRnn(['convert', '--weights', 'lstm.json', '--config', 'lstm-config.json', '--to', 'tfjs', 'lstm-tfjs']);
    tfjsRnn(['run', '--weights', 'lstm-tfjs/model.json', '--input', 'lstm-x.json', '--output', 'from-tfjs.npy', '--backend', 'wasm', '--workers', '1', '--quiet']);
    const bytes = readFileSync(join(project, 'from-tfjs.npy'));
    const { shape, dataOffset } = readNpyHeader(bufferSource(bytes), ['float32'], 'from-tfjs.npy');
    const output = tf.tensor(decodeNpyFloats(bytes.subarray(dataOffset), 'float32'), shape);
    const expected = tensorOf(fixture.output);
    // A tfjs LSTM keeps b_ih + b_hh as one bias: PyTorch's numbers within the tolerance, not its bits.
    expectClose(output, expected, FORWARD_TOLERANCE, 'run from model.json');
    tf.dispose([output, expected]);
  });
});

describe(`browser bundles of the packed package (esbuild, esm, minified; @tensorflow/tfjs ${NEWEST_TFJS})`, () => {
  let project: string;
  beforeAll(() => {
    project = userProjects[NEWEST_TFJS];
  });

  /** Bundles `entry` of the project for the browser; its bytes, and the inputs with bytes in it (the metafile also lists what was read and dropped). */
  async function bundle(entry: string): Promise<{ bytes: number; code: Uint8Array; inputs: string[] }> {
    const result = await build({
      absWorkingDir: project,
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const [output] = Object.values(result.metafile.outputs);
    const inputs = Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : []));
    return { bytes: output.bytes, code: result.outputFiles[0].contents, inputs };
  }

  const packageOf = (inputs: string[], name: string) => inputs.filter((input) => input.startsWith(`node_modules/@tensorflow/${name}/`));

  test(`ManualGRU + parseStateDict + initBackend('wasm'): at most 60% of the umbrella-era page, no webgl, no tf.layers`, async () => {
    writeFileSync(join(project, 'page.js'), WASM_ONLY_PAGE);
    const { bytes, inputs } = await bundle('page.js');
    for (const left of ['tfjs-backend-webgl', 'tfjs-layers', 'tfjs-data', 'tfjs-converter', 'tfjs']) expect([left, packageOf(inputs, left)]).toEqual([left, []]);
    for (const kept of ['tfjs-core', 'tfjs-backend-wasm', 'tfjs-backend-cpu']) expect(packageOf(inputs, kept).length).toBeGreaterThan(0);
    expect(inputs.filter((input) => input.startsWith('node_modules/tfjs-rnn/')).every((input) => input.startsWith('node_modules/tfjs-rnn/dist/esm/'))).toBe(true);
    expect(bytes).toBeLessThanOrEqual(PAGE_LIMIT_BYTES);
  });

  (hasChromium || process.env.CI === 'true' ? test : test.skip)(
    "a tf.layers twin page (LayersGRU, @tensorflow/tfjs-core, no umbrella) runs PyTorch's fixture in Chromium on wasm and cpu",
    async () => {
      copyFileSync(join(CONSUMER, 'twinPage.mjs'), join(project, 'twinPage.mjs'));
      const { code, inputs } = await bundle('twinPage.mjs');
      expect(packageOf(inputs, 'tfjs-layers').length).toBeGreaterThan(0);
      expect([packageOf(inputs, 'tfjs-backend-webgl'), packageOf(inputs, 'tfjs')]).toEqual([[], []]);
      const [fixture] = loadFixtures('gru/grid_l2_bi_bias_bf_h0_batched');
      const wasmFiles = join(project, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
        });
        // The page, its script and the .wasm files, served from memory and the project.
        await page.route('http://page.test/**', (route) => {
          const path = new URL(route.request().url()).pathname;
          if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><script type="module" src="/page.js"></script>' });
          if (path === '/page.js') return route.fulfill({ contentType: 'text/javascript', body: Buffer.from(code) });
          const wasm = /^\/wasm\/([\w-]+\.wasm)$/.exec(path);
          if (wasm && existsSync(join(wasmFiles, wasm[1]))) return route.fulfill({ contentType: 'application/wasm', body: readFileSync(join(wasmFiles, wasm[1])) });
          return route.fulfill({ status: 404, body: '' });
        });
        await page.goto('http://page.test/');
        await page.waitForFunction('window.runTwin !== undefined');
        for (const backend of ['wasm', 'cpu']) {
          const outcome = await page.evaluate(
            // Runs in the page (the tests are compiled without the DOM's types: globalThis is the window there).
            ([name, stored, stateDict]) => (globalThis as unknown as { runTwin: (...args: unknown[]) => Promise<unknown> }).runTwin(name, stored, stateDict),
            [backend, fixture, JSON.stringify(fixture.state_dict)] as const,
          );
          expect(outcome).toEqual({ backend, problems: [], leaked: 0 });
        }
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    300_000,
  );
});
