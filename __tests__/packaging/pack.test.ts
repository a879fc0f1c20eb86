import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'child_process';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { FORWARD_TOLERANCE, initBackend } from '../../src';
import { bufferSource, decodeNpyFloats, readNpyHeader } from '../../src/formats/npy';
import { expectClose } from '../helpers/expectClose';
import { loadFixtures, tensorOf } from '../helpers/fixtures';

/** The repository; `npm test` builds its dist/ before jest runs, so packing needs no build here. */
const ROOT = resolve(__dirname, '..', '..');

/** Runs a command and returns its stdout; stderr is kept for the failure message. */
function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

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

describe('npm pack', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'tfjs-rnn-pack-'));
    const packed = run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', project], ROOT).trim().split('\n').pop()!;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--prefer-offline', '--omit=optional', '--no-audit', '--no-fund', join(project, packed)], project);
  }, 600_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

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
