import { BackendName, initBackend } from '../backend';
import { FullRNNConfig } from '../config';
import { ArgumentError, FormatError, ShapeError, formatShape } from '../errors';
import { checkLengths } from '../shapes';
import { HostArray, firstNonFinite, unravelIndex } from '../formats';
import { rowsSize, withBatch } from './batchRows';
import { Chunk, ChunkOutputs, Implementation, chunkAxes } from './chunkRunner';
import { StepLoop } from '../manual';
import { FlagSpec, FlagValues, UsageError, arrayKey, backendFlag, loopFlag, optionalString, positiveInteger, progressFlag, requiredString, workersFlag } from './flags';
import { CONFIG_FLAGS, ModelSpec, WEIGHTS_FLAGS, WholeModelFile, checkFiniteWeights, configFlags, readModelSpecFile, readStateDictFlags, readWeightsFlags, resolveModel } from './modelFile';
import { FileLayout, checkStateFile, fileLayout, wholeModelLayout } from './layout';
import { bindModel } from '../model';
import { stripWrapperPrefixes } from '../formats/modules';
import { RowRange, chunkRanges, processChunks } from './pipeline';
import { ProgressStyle, TextSink, createProgress, formatSummary, resolveProgressStyle } from './progress';
import { ArraySource, FLOAT_DTYPES, ID_DTYPES, openArraySource, readIntegerArray } from './sequenceFile';
import { Shard, describeShard, shardFlag, shardRange } from './shard';
import { BufferPool } from './bufferPool';
import { chunkPool } from './workers';
import { stopEarlyWorkers } from './workerThreads';

/**
 * A run over a file of sequences, shared by `run` and `check`: the model, the input (and h0,
 * c0, lengths) checked against it before any work, the rows of the shard, and the loop that
 * reads them chunk by chunk and computes them on the workers.
 */

/** Sequences per chunk when --batch-size is absent. */
export const DEFAULT_BATCH_SIZE = 256;

/** The flags of every command that runs sequences. */
export const SEQUENCE_FLAGS: FlagSpec = {
  ...WEIGHTS_FLAGS,
  ...CONFIG_FLAGS,
  input: { type: 'string', file: 'input' },
  'input-key': { type: 'string' },
  h0: { type: 'string', file: 'input' },
  'h0-key': { type: 'string' },
  c0: { type: 'string', file: 'input' },
  'c0-key': { type: 'string' },
  lengths: { type: 'string', file: 'input' },
  model: { type: 'string', file: 'input' },
  'batch-size': { type: 'string' },
  workers: { type: 'string' },
  shard: { type: 'string' },
  backend: { type: 'string' },
  loop: { type: 'string' },
  progress: { type: 'string' },
  quiet: { type: 'boolean' },
};

export interface SequenceJob {
  /** A recurrent module and its configuration, or a whole model from `--model`. */
  spec: ModelSpec | WholeModelFile;
  /** The files the weights were read from (a tfjs model's weight files too). */
  weightSources: string[];
  layout: FileLayout;
  input: ArraySource;
  h0?: ArraySource;
  /** An LSTM's initial cell state, given with `h0`. */
  c0?: ArraySource;
  /** `[N]` valid steps of every sequence of the file. */
  lengths?: Int32Array;
  /** The shard of --shard, if any, and the rows this run computes (all, or the shard's). */
  shard?: Shard;
  range: RowRange;
  batchSize: number;
  workers: number;
  backend: BackendName;
  /** How the hand-written model runs its steps (`--loop`). */
  loop: StepLoop;
  /** A whole model's vocabulary V when its input is token ids: every id must be in `[0, V)`. */
  vocabulary?: number;
  allowNonfinite: boolean;
  /** `--progress` (`none` with `--quiet`). */
  progress: ProgressStyle;
}

/** Reads `--lengths`: `[N]` integers in `[1, L]`, as `.npy` int32/int64 or a JSON list. */
function readLengths(path: string, layout: FileLayout): Int32Array {
  const { name, shape, data } = readIntegerArray(path, 'lengths', ['int32', 'int64']);
  if (shape.length !== 1) throw new ShapeError(name, `a 1-D [${layout.batchSize}] array of lengths`, formatShape(shape));
  const seqLen = layout.inputShape[layout.sequenceBatchAxis === 0 ? 1 : 0];
  try {
    return checkLengths({ batched: layout.batched, batchSize: layout.batchSize, seqLen }, Array.from(data)) as Int32Array;
  } catch (error) {
    if (error instanceof ArgumentError) throw new FormatError(`${name}: ${error.argument}`, error.expected, error.actual);
    throw error;
  }
}

/** Flags of `run` and `check` about the cell state c, which only an LSTM has. */
const CELL_STATE_FLAGS = ['c0', 'cn', 'expected-cn'];

/**
 * Checks the state flags against the model's mode: the cell state's for an LSTM only, and for
 * an LSTM `--h0` and `--c0` together or neither, as `nn.LSTM` takes `(h_0, c_0)`.
 */
function checkStateFlags(values: FlagValues, config: FullRNNConfig): void {
  const given = (flag: string) => optionalString(values, flag) !== undefined;
  if (config.mode !== 'LSTM') {
    const flag = CELL_STATE_FLAGS.find(given);
    if (flag !== undefined) throw new ArgumentError(`--${flag}`, `no file for an nn.${config.mode} (only an nn.LSTM has a cell state)`, `'${values[flag]}'`);
  } else if (given('h0') !== given('c0')) {
    const [missing, present] = given('h0') ? ['c0', 'h0'] : ['h0', 'c0'];
    throw new ArgumentError(`--${missing}`, `a file with --${present} (an nn.LSTM takes h0 and c0 together)`, 'nothing');
  }
}

/** Opens the initial state of `flag` (h0, c0) when given, checking its shape as `state` (h, c). */
async function openStateFile(values: FlagValues, flag: 'h0' | 'c0', config: FullRNNConfig, layout: FileLayout): Promise<ArraySource | undefined> {
  const path = optionalString(values, flag);
  if (path === undefined) return undefined;
  const source = await openArraySource(path, flag, arrayKey(values, flag));
  try {
    checkStateFile(config, layout, flag === 'h0' ? 'h' : 'c', source.shape, `--${flag} ${source.name}`);
    return source;
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * Opens and checks everything a run reads, before any work: backend, weights and config, the
 * state flags against the mode, the input's shape, h0's and c0's shapes, lengths, shard
 * (`shard`: --shard, read by the caller or here). Every problem is an error naming its file or
 * flag; notices (fewer workers than asked for) go to `stderr`.
 */
export async function openSequenceJob(values: FlagValues, stderr: TextSink, shard: Shard | undefined = shardFlag(values)): Promise<SequenceJob> {
  const backend = await initBackend(backendFlag(values));
  const batchSize = positiveInteger(values, 'batch-size', DEFAULT_BATCH_SIZE);
  const loop = loopFlag(values);
  const workers = workersFlag(values, (message) => stderr.write(`tfjs-rnn: ${message}\n`));
  const modelPath = optionalString(values, 'model');
  if (modelPath !== undefined) {
    const file = await readStateDictFlags(values);
    if (values['allow-nonfinite'] !== true) checkFiniteWeights(file);
    const common = { weightSources: file.sources, batchSize, workers, backend, loop, allowNonfinite: values['allow-nonfinite'] === true, progress: progressFlag(values) };
    return { ...common, ...(await openWholeModelJob(values, modelPath, file.tensors, shard)) };
  }
  const weights = await readWeightsFlags(values, { allowNonfinite: values['allow-nonfinite'] === true });
  const { config, stateDict } = await resolveModel(weights, configFlags(values));
  checkStateFlags(values, config);
  const input = await openArraySource(requiredString(values, 'input'), 'input', arrayKey(values, 'input'));
  const opened: ArraySource[] = [input];
  try {
    const layout = fileLayout(config, input.shape, input.name);
    const states: Array<ArraySource | undefined> = [];
    for (const flag of ['h0', 'c0'] as const) {
      const source = await openStateFile(values, flag, config, layout);
      if (source !== undefined) opened.push(source);
      states.push(source);
    }
    const [h0, c0] = states;
    const lengthsPath = optionalString(values, 'lengths');
    const lengths = lengthsPath === undefined ? undefined : readLengths(lengthsPath, layout);
    if (shard !== undefined && !layout.batched && shard.count > 1) {
      throw new UsageError('--shard', 'no shard (or 0/1) for an unbatched 2-D input, which is one sequence', `${shard.index}/${shard.count}`);
    }
    return {
      spec: { config, stateDict },
      weightSources: weights.sources,
      layout,
      input,
      h0,
      c0,
      lengths,
      shard,
      range: shardRange(shard, layout.batchSize),
      batchSize,
      workers,
      backend,
      loop,
      allowNonfinite: values['allow-nonfinite'] === true,
      progress: progressFlag(values),
    };
  } catch (error) {
    opened.forEach((source) => source.close());
    throw error;
  }
}

/** Refuses `flags` (of final states) with `--model`: a whole model returns its output alone. */
export function refuseStatesWithModel(values: FlagValues, flags: string[]): void {
  if (optionalString(values, 'model') === undefined) return;
  const given = flags.find((flag) => optionalString(values, flag) !== undefined);
  if (given !== undefined) throw new UsageError(`--${given}`, 'nothing with --model (a whole model returns its output alone)', `'${values[given]}'`);
}

/** Flags a whole model (`--model`) does not take: it starts from zero states and its spec says the rest. */
const NOT_WITH_MODEL = ['config', 'h0', 'c0', 'prefix', 'nonlinearity', 'batch-first'];

/**
 * The parts of a job of a whole model (`--model`): its spec bound to the weights' whole
 * state_dict (wrapper prefixes stripped), the input (token ids for an Embedding, else
 * features) and lengths checked against it, and the shard's rows.
 */
async function openWholeModelJob(values: FlagValues, modelPath: string, tensors: Record<string, HostArray>, shard: Shard | undefined) {
  const given = NOT_WITH_MODEL.find((flag) => values[flag] !== undefined);
  if (given !== undefined) throw new UsageError(`--${given}`, 'nothing with --model (a whole model starts from zero states; its spec says the rest)', `'${String(values[given])}'`);
  const model = readModelSpecFile(modelPath);
  const stateDict = stripWrapperPrefixes(tensors).stateDict;
  const bound = bindModel(model, stateDict);
  const dtypes = model.inputKind === 'ids' ? ID_DTYPES : FLOAT_DTYPES;
  const input = await openArraySource(requiredString(values, 'input'), 'input', arrayKey(values, 'input'), dtypes);
  try {
    const layout = wholeModelLayout(model, bound, input.shape, input.name);
    const lengthsPath = optionalString(values, 'lengths');
    const lengths = lengthsPath === undefined ? undefined : readLengths(lengthsPath, layout);
    const vocabulary = model.inputKind === 'ids' ? bound[0].inputFeatures : undefined;
    return { spec: { model, stateDict }, layout, input, lengths, vocabulary, shard, range: shardRange(shard, layout.batchSize) };
  } catch (error) {
    input.close();
    throw error;
  }
}

export function closeSequenceJob(job: SequenceJob): void {
  job.input.close();
  job.h0?.close();
  job.c0?.close();
}

/** Throws when `block` (rows from `start` of `source`) holds NaN or ±Infinity, naming the first one's index in the file. */
function checkFinite(source: string, block: Float32Array, shape: number[], batchAxis: number | null, start: number): void {
  const bad = firstNonFinite(block);
  if (bad < 0) return;
  const index: number[] = [];
  let rest = bad;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index.unshift((rest % shape[axis]) + (axis === batchAxis ? start : 0));
    rest = Math.floor(rest / shape[axis]);
  }
  throw new FormatError(source, 'finite values (pass --allow-nonfinite to run NaN and Infinity through)', `${block[bad]} at ${formatShape(index)}`);
}

/** Throws when `block` (rows from `start` of `source`) holds an id outside `[0, vocabulary)`, naming the first one's index in the file. */
function checkIds(source: string, block: Float32Array, shape: number[], batchAxis: number | null, start: number, vocabulary: number): void {
  const bad = block.findIndex((id) => id < 0 || id >= vocabulary);
  if (bad < 0) return;
  const index = unravelIndex(shape, bad).map((position, axis) => position + (axis === batchAxis ? start : 0));
  throw new FormatError(source, `token ids in [0, ${vocabulary}) (the Embedding's rows)`, `${block[bad]} at ${formatShape(index)}`);
}

/**
 * Reads rows `range` of `source` as a host array on a buffer of `buffers` (`SharedArrayBuffer`s
 * for a pool of several threads), checking them unless non-finite values are allowed (token
 * ids always).
 */
function readBlock(job: SequenceJob, source: ArraySource, batchAxis: number | null, range: RowRange, buffers: BufferPool): HostArray {
  const shape = withBatch(source.shape, batchAxis, range.end - range.start);
  const data = source.readRows(batchAxis, range.start, range.end, buffers.take(rowsSize(source.shape, batchAxis, range.start, range.end)));
  if (source === job.input && job.vocabulary !== undefined) checkIds(source.name, data, shape, batchAxis, range.start, job.vocabulary);
  else if (!job.allowNonfinite) checkFinite(source.name, data, shape, batchAxis, range.start);
  return { shape, data };
}

/** The chunk of rows `range`: input, h0, c0 and lengths of those sequences, the arrays on buffers of `buffers` (see `readBlock`). */
function readChunk(job: SequenceJob, range: RowRange, buffers: BufferPool): Chunk {
  return {
    input: readBlock(job, job.input, job.layout.sequenceBatchAxis, range, buffers),
    h0: job.h0 && readBlock(job, job.h0, job.layout.stateBatchAxis, range, buffers),
    c0: job.c0 && readBlock(job, job.c0, job.layout.stateBatchAxis, range, buffers),
    lengths: job.lengths?.slice(range.start, range.end),
  };
}

/** Gives the buffers of a chunk's arrays back to `buffers`, once no thread reads them. */
function recycleChunk(chunk: Chunk, buffers: BufferPool): void {
  [chunk.input, chunk.h0, chunk.c0].forEach((array) => array && buffers.give(array.data.buffer));
}

/**
 * Computes every chunk of the job's rows with `implementations`, handing each chunk's outputs
 * to `handle` (rows relative to the file, in any order). Shows progress as `--progress` says;
 * returns the summary line.
 */
export async function runSequenceJob(
  job: SequenceJob,
  implementations: Implementation[],
  handle: (range: RowRange, outputs: ChunkOutputs) => void,
  stderr: TextSink,
): Promise<string> {
  const ranges = chunkRanges(job.range, job.batchSize);
  const workers = Math.max(1, Math.min(job.workers, ranges.length));
  const progress = createProgress(stderr, job.range.end - job.range.start, resolveProgressStyle(job.progress, stderr));
  let seconds = 0;
  try {
    const pool = chunkPool(workers, job.spec, implementations, job.backend, job.loop, chunkAxes(job.layout));
    try {
      await stopEarlyWorkers(); // Those the pool did not take: fewer chunks than workers.
      const buffers = new BufferPool(workers > 1);
      await processChunks(
        ranges,
        pool,
        (range) => readChunk(job, range, buffers),
        (range, outputs) => {
          handle(range, outputs);
          progress.advance(range.end - range.start);
        },
        (chunk) => recycleChunk(chunk, buffers),
      );
    } finally {
      await pool.close();
    }
  } finally {
    seconds = progress.finish();
  }
  const summary = formatSummary(job.range.end - job.range.start, seconds, job.backend, workers);
  return job.shard === undefined ? summary : `${summary}; ${describeShard(job.shard, job.range)}`;
}
