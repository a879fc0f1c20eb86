import { BuildOptions, build, context } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { createServer, request } from 'http';
import { AddressInfo } from 'net';
import { dirname, join, resolve } from 'path';
import { NPY_DTYPES, bufferSource, decodeNpyValues, parseStateDictJson, readNpyHeader, serializeSafetensors } from '../../src/formats';

/**
 * Builds the example page into `dist/`: the bundle of `main.ts` as an application makes it
 * (esbuild, `--platform=browser`, `tfjs-rnn` resolved through the package's `exports` to its
 * browser entry), the page, the wasm backend's `.wasm` files, and a PyTorch fixture's weights
 * as `rnn.safetensors` with its input and expected values as `fixture.json`, and the char
 * language model's `torch.save` file with its spec, prompts and PyTorch's greedy continuation;
 * with it the browser test's parity page (`harness/`), bundled the same way.
 */

const EXAMPLE_DIR = __dirname;
/** The repository: its package.json is `tfjs-rnn`, so `import … from 'tfjs-rnn'` here resolves as in an application. */
const ROOT = resolve(EXAMPLE_DIR, '..', '..');
export const OUT_DIR = join(EXAMPLE_DIR, 'dist');

/** The PyTorch fixture the page checks: nn.RNN(3, 8), 300 steps, batch 2, h0 given. */
export const FIXTURE = 'rnn/long_sequence';

/** The browser test's parity page, served as `harness/` next to the example. */
const HARNESS_DIR = join(ROOT, '__tests__', 'browser', 'harness');

/**
 * The headers that make a page cross-origin isolated (`crossOriginIsolated`), which the wasm
 * backend's threads need (SharedArrayBuffer); every file the page loads is same-origin.
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
/** The language model of the generation demo (fixtures/models, scripts/make_model_fixtures.py): a character LSTM. */
export const LANGUAGE_MODEL = 'char_lm';

/** The wasm backend picks one by what the browser supports: plain, SIMD, SIMD with threads. */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** esbuild's options for the page's bundle, `main.js` in `outdir`. */
function bundleOptions(outdir: string): BuildOptions {
  return pageBundleOptions(outdir, [
    { in: join(EXAMPLE_DIR, 'main.ts'), out: 'main' },
    { in: join(HARNESS_DIR, 'harness.ts'), out: 'harness/harness' },
  ]);
}

/** esbuild's options for a page's bundle of `entryPoints` into `outdir`, as an application makes it. */
export function pageBundleOptions(outdir: string, entryPoints: BuildOptions['entryPoints']): BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints,
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  };
}

/** Copies the wasm backend's three `.wasm` files into `dir`. */
export function copyWasmFiles(dir: string): void {
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json', { paths: [ROOT] })), 'dist');
  WASM_FILES.forEach((name) => copyFileSync(join(wasmDir, name), join(dir, name)));
}

/** Writes everything but the bundle into `outdir`: the page, the `.wasm` files, the fixture's weights and case. */
function writeStaticFiles(outdir: string): void {
  mkdirSync(outdir, { recursive: true });
  copyFileSync(join(EXAMPLE_DIR, 'index.html'), join(outdir, 'index.html'));
  mkdirSync(join(outdir, 'harness'), { recursive: true });
  copyFileSync(join(HARNESS_DIR, 'index.html'), join(outdir, 'harness', 'index.html'));
  ['', 'harness'].forEach((dir) => copyWasmFiles(join(outdir, dir)));
  const { state_dict, torch, config, input, h0, output, h_n } = JSON.parse(readFileSync(join(ROOT, 'fixtures', `${FIXTURE}.json`), 'utf8'));
  writeFileSync(join(outdir, 'rnn.safetensors'), serializeSafetensors(parseStateDictJson(JSON.stringify(state_dict), FIXTURE)));
  writeFileSync(join(outdir, 'fixture.json'), JSON.stringify({ name: FIXTURE, torch, config, input, h0, output, h_n }));
  // The generation demo: the model's torch.save file as it is, its spec, the prompts and what PyTorch continued them with.
  const modelDir = join(ROOT, 'fixtures', 'models', LANGUAGE_MODEL);
  copyFileSync(join(modelDir, 'model.pt'), join(outdir, `${LANGUAGE_MODEL}.pt`));
  const ids = (file: string) => {
    const { shape, data } = parseNpyIds(readFileSync(join(modelDir, file)), file);
    return Array.from({ length: shape[0] }, (_, n) => Array.from(data.subarray(n * shape[1], (n + 1) * shape[1])));
  };
  const meta = JSON.parse(readFileSync(join(modelDir, 'meta.json'), 'utf8'));
  const spec = JSON.parse(readFileSync(join(modelDir, 'spec.json'), 'utf8'));
  writeFileSync(join(outdir, `${LANGUAGE_MODEL}.json`), JSON.stringify({ name: LANGUAGE_MODEL, torch: meta.torch, vocabulary: meta.vocabulary, spec, prompt: ids('prompt.npy'), generated: ids('generated.npy') }));
}

/** A 2-D `.npy` of int64 ids (the fixture's prompt and continuation) as its shape and values. */
function parseNpyIds(bytes: Uint8Array, source: string): { shape: number[]; data: Float64Array } {
  const { dtype, shape, dataOffset } = readNpyHeader(bufferSource(bytes), NPY_DTYPES, source);
  return { shape, data: decodeNpyValues(bytes.subarray(dataOffset), dtype) };
}

/** Builds the page into `outdir`; returns the bundle's size in bytes. */
export async function buildExample(outdir = OUT_DIR): Promise<{ bundleBytes: number }> {
  writeStaticFiles(outdir);
  const result = await build({ ...bundleOptions(outdir), metafile: true });
  return { bundleBytes: result.metafile.outputs[join(outdir, 'main.js').slice(ROOT.length + 1)]?.bytes ?? NaN };
}

/** A server of the example on 127.0.0.1 (esbuild's, which rebuilds the bundle when a request finds the sources changed). */
export interface ExampleServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves what esbuild serves on 127.0.0.1:`upstreamPort` on 127.0.0.1:`port` (0: any free
 * port), cross-origin isolated: each request is passed on and the answer gets
 * `ISOLATION_HEADERS`, which esbuild's own server cannot add.
 */
export async function serveIsolated(upstreamPort: number, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const front = createServer((incoming, outgoing) => {
    const forwarded = request({ host: '127.0.0.1', port: upstreamPort, path: incoming.url, method: incoming.method, headers: incoming.headers }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, { ...response.headers, ...ISOLATION_HEADERS });
      response.pipe(outgoing);
    });
    forwarded.on('error', (error) => {
      outgoing.writeHead(502);
      outgoing.end(error.message);
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    front.once('error', rejectListen);
    front.listen(port, '127.0.0.1', resolveListen);
  });
  const close = async () => {
    const closed = new Promise<void>((resolveClose) => front.close(() => resolveClose()));
    front.closeAllConnections();
    await closed;
  };
  return { url: `http://127.0.0.1:${(front.address() as AddressInfo).port}/`, close };
}

/** Builds the page into `outdir` and serves it, cross-origin isolated, on 127.0.0.1:`port` (0: any free port). */
export async function serveExample(port: number, outdir = OUT_DIR): Promise<ExampleServer> {
  writeStaticFiles(outdir);
  const bundler = await context(bundleOptions(outdir));
  // Built before the first request, which would otherwise wait for it (tens of seconds on a loaded machine).
  await bundler.rebuild();
  const served = await bundler.serve({ servedir: outdir, host: '127.0.0.1', port: 0 });
  const front = await serveIsolated(served.port, port);
  const stop = async () => {
    await front.close();
    await bundler.dispose();
  };
  return { url: front.url, stop };
}
