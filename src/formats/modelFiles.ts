import { existsSync, promises as fs, realpathSync } from 'fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { FormatError } from '../errors';
import { systemErrorText, writeFilesAtomic } from './atomicWrite';
import { isShape, shapeSize } from './hostArray';
import { isPlainObject } from './isPlainObject';
import { parseJson } from './json';
import { MAX_JSON_BYTES, MAX_WEIGHTS_BYTES, formatBytes, readRegularFile } from './regularFile';

/**
 * A tfjs model folder, as `tf.loadLayersModel` reads it and `model.save` writes it: `model.json`
 * (topology, weights manifest, metadata) and the weight files its manifest lists, beside it. One
 * reader and one writer, for the CLI (`convert --to tfjs`, `--weights model.json`) and for the
 * `file://` routers (`fileRouter.ts`). Node only: the browser entry leaves this module out.
 */

const MODEL_FILE = 'model.json';
/** The one weight file `save` writes, beside `model.json`. */
const WEIGHTS_FILE = 'weights.bin';

/** The files of an output `out`: `model.json` (`out` itself when it ends in `.json`, else `out/model.json`) and `weights.bin` beside it. */
export function tfjsModelFiles(out: string): { model: string; weights: string } {
  const model = extname(out).toLowerCase() === '.json' ? out : join(out, MODEL_FILE);
  return { model, weights: join(dirname(model), WEIGHTS_FILE) };
}

/** Bytes per value of each dtype a weight is stored in unquantized (those tfjs's `decodeWeights` reads). */
const DTYPE_BYTES: ReadonlyMap<string, number> = new Map([
  ['float32', 4],
  ['int32', 4],
  ['bool', 1],
  ['complex64', 8],
]);

/**
 * Each quantization `decodeWeights` reads: bytes per stored value, the dtypes it dequantizes to,
 * and whether it needs `min` and `scale` (value = q · scale + min).
 */
const QUANTIZATIONS: ReadonlyMap<string, { bytes: number; dtypes: readonly string[]; affine: boolean }> = new Map([
  ['uint8', { bytes: 1, dtypes: ['float32', 'int32'], affine: true }],
  ['uint16', { bytes: 2, dtypes: ['float32', 'int32'], affine: true }],
  ['float16', { bytes: 2, dtypes: ['float32'], affine: false }],
]);

const SPEC_EXPECTED =
  'a weight {name, shape, dtype} of dtype float32, int32, bool or complex64, quantized (uint8 or uint16 with numbers min and scale, float16 for float32) or not';

/** Whether `spec` is a weight spec whose stored size is known: see `SPEC_EXPECTED`. */
function isStoredWeight(spec: unknown): spec is tf.io.WeightsManifestEntry {
  if (!isPlainObject(spec) || typeof spec.name !== 'string' || !isShape(spec.shape) || !DTYPE_BYTES.has(spec.dtype as string)) return false;
  if (spec.quantization === undefined) return true;
  const quantization = isPlainObject(spec.quantization) ? QUANTIZATIONS.get(spec.quantization.dtype as string) : undefined;
  if (quantization === undefined) return false;
  const { min, scale } = spec.quantization as Record<string, unknown>;
  return quantization.dtypes.includes(spec.dtype as string) && (!quantization.affine || (Number.isFinite(min) && Number.isFinite(scale)));
}

/** Bytes a weight takes in its file: `product(shape)` values of its quantized dtype, else of its dtype. */
function storedBytes(spec: tf.io.WeightsManifestEntry): number {
  const quantization = spec.quantization?.dtype;
  const bytes = quantization === undefined ? DTYPE_BYTES.get(spec.dtype) : QUANTIZATIONS.get(quantization)?.bytes;
  return shapeSize(spec.shape) * (bytes as number); // Known: the spec passed isStoredWeight.
}

/** Whether `path`, relative to `directory`, names a file inside it (not absolute, not through `..`, not the folder itself). */
function isInside(directory: string, path: string): boolean {
  const fromDirectory = relative(directory, resolve(directory, path));
  return !isAbsolute(path) && fromDirectory !== '' && fromDirectory !== '..' && !fromDirectory.startsWith(`..${sep}`);
}

/** A checked weights manifest: each group's weight files (relative to the model's folder) and weight specs. */
export interface WeightGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/**
 * The groups of `model.json`'s `weightsManifest`, checked: `{paths, weights}` each, paths that
 * stay in the model's folder (relative, no `..`), and weights of a dtype tfjs stores (see
 * `SPEC_EXPECTED`).
 */
function checkManifest(manifest: unknown, modelPath: string): WeightGroup[] {
  const where = `${modelPath}: weightsManifest`;
  if (!Array.isArray(manifest) || !manifest.every((group) => isPlainObject(group) && Array.isArray(group.paths) && Array.isArray(group.weights))) {
    throw new FormatError(where, 'a list of {paths: [..], weights: [..]}', JSON.stringify(manifest ?? null).slice(0, 40));
  }
  const groups = manifest as { paths: unknown[]; weights: unknown[] }[];
  const unlisted = groups.findIndex((group) => group.weights.length > 0 && group.paths.length === 0);
  if (unlisted >= 0) {
    throw new FormatError(`${where}[${unlisted}]`, 'the weight files of its weights in paths', `"paths": [] for ${groups[unlisted].weights.length} weights`);
  }
  const outside = groups.flatMap((group) => group.paths).find((path) => typeof path !== 'string' || !isInside(dirname(modelPath), path));
  if (outside !== undefined) throw new FormatError(where, "weight file paths inside the model's folder", JSON.stringify(outside));
  groups.forEach((group, index) => {
    const bad = group.weights.findIndex((spec) => !isStoredWeight(spec));
    if (bad >= 0) throw new FormatError(`${where}[${index}].weights[${bad}]`, SPEC_EXPECTED, JSON.stringify(group.weights[bad]).slice(0, 120));
  });
  return groups as WeightGroup[];
}

/** Checks that `modelJson` is a tfjs model.json: an object with `modelTopology` and `weightsManifest`, saying which is missing. */
function checkModelJson(modelJson: unknown, modelPath: string): asserts modelJson is Record<string, unknown> & { modelTopology: object; weightsManifest: unknown[] } {
  const expected = 'a tfjs model.json: an object with modelTopology and weightsManifest';
  if (!isPlainObject(modelJson)) throw new FormatError(modelPath, expected, Array.isArray(modelJson) ? 'a list' : `${typeof modelJson}`);
  const problems = [
    !isPlainObject(modelJson.modelTopology) && `modelTopology ${modelJson.modelTopology === undefined ? 'missing' : 'not an object'}`,
    !Array.isArray(modelJson.weightsManifest) && `weightsManifest ${modelJson.weightsManifest === undefined ? 'missing' : 'not a list'}`,
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new FormatError(modelPath, expected, problems.join(', '));
}

/** The files a tfjs `model.json` (parsed) is made of: itself and the weight files its manifest lists. */
export function tfjsModelSources(modelJson: Record<string, unknown>, modelPath: string): string[] {
  const manifest = Array.isArray(modelJson.weightsManifest) ? modelJson.weightsManifest : [];
  return [modelPath, ...checkManifest(manifest, modelPath).flatMap((group) => group.paths.map((path) => join(dirname(modelPath), path)))];
}

/**
 * Where the weight file `path` of the manifest of `modelPath` really is: its real path (every
 * symbolic link resolved), which must be inside the real path of the model's folder, so that a
 * link cannot lead the read outside it. A missing file is left for the read to report.
 */
function weightFileInside(path: string, modelPath: string): string {
  const file = join(dirname(modelPath), path);
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return file;
  }
  const folder = realpathSync(dirname(modelPath));
  if (!isInside(folder, relative(folder, real))) {
    throw new FormatError(`${modelPath}: weightsManifest`, "weight files inside the model's folder", `${JSON.stringify(path)}, a link to ${real}, outside ${folder}`);
  }
  return real;
}

/**
 * The bytes of one group's weight `files` (real paths, see `weightFileInside`), which must hold
 * exactly what its weights take; a file of another size is a `FormatError` naming it (or the
 * group, when it has several files). Reading stops at the first file past that size.
 */
function readGroup(group: WeightGroup, files: string[], index: number, modelPath: string): Buffer[] {
  const expected = group.weights.reduce((total, spec) => total + storedBytes(spec), 0);
  const buffers: Buffer[] = [];
  let actual = 0;
  for (const file of files) {
    if (actual > expected) break;
    const bytes = readRegularFile(file, MAX_WEIGHTS_BYTES);
    buffers.push(bytes);
    actual += bytes.length;
  }
  if (actual !== expected) {
    const where = files.length === 1 ? join(dirname(modelPath), group.paths[0]) : `${modelPath}: weightsManifest[${index}]`;
    const lists = `what the ${group.weights.length} weights of ${modelPath}'s weightsManifest[${index}] take`;
    const read = files.length === 1 ? '' : ` in ${group.paths.slice(0, buffers.length).join(', ')}${buffers.length < files.length ? ' (the rest unread)' : ''}`;
    throw new FormatError(where, `${expected} bytes (${lists})`, `${actual} bytes${read}`);
  }
  return buffers;
}

/** Refuses a manifest whose weights take more than the cap on weights read whole, before reading any. */
function checkTotalBytes(groups: WeightGroup[], modelPath: string): void {
  const total = groups.reduce((sum, group) => sum + group.weights.reduce((bytes, spec) => bytes + storedBytes(spec), 0), 0);
  if (total > MAX_WEIGHTS_BYTES) throw new FormatError(`${modelPath}: weightsManifest`, `weights of at most ${formatBytes(MAX_WEIGHTS_BYTES)} in all`, formatBytes(total));
}

/** `parts` one after another in a new ArrayBuffer (tfjs before 4.10 takes one buffer, later releases hand over a list). */
function joinBytes(parts: readonly (ArrayBuffer | Uint8Array)[]): ArrayBuffer {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part instanceof Uint8Array ? part : new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return joined.buffer;
}

/**
 * `topology` (a Keras model config) with every `*_initializer` replaced by zeros: the weights
 * read with it overwrite whatever the initializers draw, and the Orthogonal initializer of a
 * model saved by Keras takes minutes at H = 1024.
 */
function withZeroInitializers(topology: unknown): unknown {
  if (Array.isArray(topology)) return topology.map(withZeroInitializers);
  if (!isPlainObject(topology)) return topology;
  return Object.fromEntries(
    Object.entries(topology).map(([key, value]) => [
      key,
      /_initializer$/.test(key) && isPlainObject(value) ? { class_name: 'Zeros', config: {} } : withZeroInitializers(value),
    ]),
  );
}

/**
 * Makes `directory` and the directories missing above it, one level at a time (a recursive
 * mkdir spins forever under /proc); returns those it made, outermost first. On a failure it
 * removes them again and throws a `FormatError` naming the directory it could not make.
 */
async function makeDirectories(directory: string): Promise<string[]> {
  const missing: string[] = [];
  for (let path = directory; !existsSync(path); path = dirname(path)) missing.unshift(path);
  for (const [index, path] of missing.entries()) {
    try {
      await fs.mkdir(path);
    } catch (error) {
      await removeDirectories(missing.slice(0, index));
      throw new FormatError(path, 'a directory that can be made', systemErrorText(error));
    }
  }
  return missing;
}

/** Removes `directories` (made by `makeDirectories`, empty), innermost first. */
async function removeDirectories(directories: string[]): Promise<void> {
  for (const directory of [...directories].reverse()) await fs.rmdir(directory).catch(() => undefined);
}

/** How `fileIOHandler` loads. */
export interface ModelFileOptions {
  /**
   * Whether every weight of the model is set from the files (`tf.loadLayersModel`'s `strict`):
   * then the topology's initializers are swapped for zeros (see `withZeroInitializers`), since
   * whatever they drew would be overwritten. @default true
   */
  strict?: boolean;
}

/**
 * An IOHandler over the files of `out` (see `tfjsModelFiles`). `save` writes `weights.bin` and
 * `model.json` beside it atomically, both or neither (an existing folder's old files stay whole on
 * a failure, and the folders it made are removed again). `load` reads them back: every weight
 * file of the manifest inside the model's folder (links resolved), a regular file holding exactly
 * the bytes its weights take (every dtype and quantization `tf.io.decodeWeights` reads).
 */
export function fileIOHandler(out: string, options: ModelFileOptions = {}): tf.io.IOHandler {
  const modelPath = tfjsModelFiles(out).model;
  const directory = dirname(modelPath);
  return {
    async save(artifacts) {
      if (!isPlainObject(artifacts.modelTopology)) {
        throw new FormatError(modelPath, 'a model with a JSON topology (a tf.LayersModel)', artifacts.modelTopology === undefined ? 'no topology' : 'a binary topology');
      }
      const weightData = joinBytes(artifacts.weightData === undefined ? [] : ([] as ArrayBuffer[]).concat(artifacts.weightData));
      const { modelTopology, format, generatedBy, convertedBy, trainingConfig, signature, userDefinedMetadata, modelInitializer, initializerSignature } = artifacts;
      const modelJson: tf.io.ModelJSON = {
        modelTopology,
        format,
        generatedBy,
        convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(trainingConfig !== undefined && { trainingConfig }),
        ...(signature !== undefined && { signature }),
        ...(userDefinedMetadata !== undefined && { userDefinedMetadata }),
        ...(modelInitializer !== undefined && { modelInitializer }),
        ...(initializerSignature !== undefined && { initializerSignature }),
      };
      const made = await makeDirectories(directory);
      try {
        await writeFilesAtomic([
          { path: join(directory, WEIGHTS_FILE), contents: new Uint8Array(weightData) },
          { path: modelPath, contents: JSON.stringify(modelJson) },
        ]);
      } catch (error) {
        await removeDirectories(made);
        throw error;
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData }) };
    },
    async load() {
      const modelJson = parseJson(readRegularFile(modelPath, MAX_JSON_BYTES).toString('utf8'), modelPath, 'a tfjs model.json');
      checkModelJson(modelJson, modelPath);
      const groups = checkManifest(modelJson.weightsManifest, modelPath);
      checkTotalBytes(groups, modelPath);
      const files = groups.map((group) => group.paths.map((path) => weightFileInside(path, modelPath))); // Every link checked before any read.
      const weightData = joinBytes(groups.flatMap((group, index) => readGroup(group, files[index], index, modelPath)));
      const weights = groups.flatMap((group) => group.weights);
      const read = options.strict === false ? modelJson : { ...modelJson, modelTopology: withZeroInitializers(modelJson.modelTopology) };
      return tf.io.getModelArtifactsForJSON(read as unknown as tf.io.ModelJSON, async () => [weights, weightData]);
    },
  };
}
