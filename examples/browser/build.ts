import { BuildOptions, build, context } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { NPY_DTYPES, bufferSource, decodeNpyValues, parseStateDictJson, readNpyHeader, serializeSafetensors } from '../../src/formats';

/**
 * Builds the example page into `dist/`: the bundle of `main.ts` as an application makes it
 * (esbuild, `--platform=browser`, `tfjs-rnn` resolved through the package's `exports` to its
 * browser entry), the page, the wasm backend's `.wasm` files, and a PyTorch fixture's weights
 * as `rnn.safetensors` with its input and expected values as `fixture.json`, and the char
 * language model's `torch.save` file with its spec, prompts and PyTorch's greedy continuation.
 */

const EXAMPLE_DIR = __dirname;
/** The repository: its package.json is `tfjs-rnn`, so `import … from 'tfjs-rnn'` here resolves as in an application. */
const ROOT = resolve(EXAMPLE_DIR, '..', '..');
export const OUT_DIR = join(EXAMPLE_DIR, 'dist');

/** The PyTorch fixture the page checks: nn.RNN(3, 8), 300 steps, batch 2, h0 given. */
export const FIXTURE = 'rnn/long_sequence';

/** The language model of the generation demo (fixtures/models, scripts/make_model_fixtures.py): a character LSTM. */
export const LANGUAGE_MODEL = 'char_lm';

/** The wasm backend picks one by what the browser supports: plain, SIMD, SIMD with threads. */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** esbuild's options for the page's bundle, `main.js` in `outdir`. */
function bundleOptions(outdir: string): BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: [join(EXAMPLE_DIR, 'main.ts')],
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

/** Writes everything but the bundle into `outdir`: the page, the `.wasm` files, the fixture's weights and case. */
function writeStaticFiles(outdir: string): void {
  mkdirSync(outdir, { recursive: true });
  copyFileSync(join(EXAMPLE_DIR, 'index.html'), join(outdir, 'index.html'));
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json', { paths: [ROOT] })), 'dist');
  WASM_FILES.forEach((name) => copyFileSync(join(wasmDir, name), join(outdir, name)));
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

/** Builds the page into `outdir` and serves it on 127.0.0.1:`port` (0: any free port). */
export async function serveExample(port: number, outdir = OUT_DIR): Promise<ExampleServer> {
  writeStaticFiles(outdir);
  const bundler = await context(bundleOptions(outdir));
  const served = await bundler.serve({ servedir: outdir, host: '127.0.0.1', port });
  return { url: `http://127.0.0.1:${served.port}/`, stop: () => bundler.dispose() };
}
