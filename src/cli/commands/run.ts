import { PendingWrite, commitAll } from '../../formats';
import { withBatch } from '../batchRows';
import { FlagValues, implementationFlag, parseFlags, requiredString } from '../flags';
import { ChunkOutput } from '../chunkRunner';
import { CliIO, EXIT_OK } from '../io';
import { ArraySink, checkOutputExtension, createArraySink } from '../outputFile';
import { checkOutputFiles, fileFlags } from '../outputPaths';
import { SEQUENCE_FLAGS, closeSequenceJob, openSequenceJob, runSequenceJob } from '../sequenceJob';
import { Shard, shardFlag, shardPath } from '../shard';
import { ShardArray, describeInputs, openShardRecord, shardRecordPath } from '../shardRecord';

const RUN_FLAGS = {
  ...SEQUENCE_FLAGS,
  output: { type: 'string', file: 'output' },
  hn: { type: 'string', file: 'output' },
  impl: { type: 'string' },
} as const;

/**
 * Output paths, checked before any work: named after the shard (`{shard}`, or under --shard
 * auto), extensions, and every file written (shard records too) against the inputs and each other.
 */
function outputPaths(values: FlagValues, shard: Shard | undefined): { output: string; hn?: string } {
  requiredString(values, 'output');
  const outputs = fileFlags(RUN_FLAGS, values, 'output').map(({ name, path }) => ({ name, path: shardPath(path, shard, name) }));
  outputs.forEach(({ path }) => checkOutputExtension(path));
  const records = shard === undefined ? [] : outputs.map(({ name, path }) => ({ name: `${name} record`, path: shardRecordPath(path) }));
  checkOutputFiles([...outputs, ...records], fileFlags(RUN_FLAGS, values, 'input'));
  const path = (flag: string) => outputs.find(({ name }) => name === `--${flag}`)?.path;
  return { output: path('output') as string, hn: path('hn') };
}

/**
 * `tfjs-rnn run`: the model over every sequence of --input (or of one --shard), writing
 * `output` (and `h_n` with --hn) laid out as PyTorch returns them; a shard's outputs each with
 * its shard record, for `merge`. Outputs are written to temp files and renamed at the end, all
 * or none, so a failed run leaves none.
 */
export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, RUN_FLAGS);
  const implementation = implementationFlag(values);
  const shard = shardFlag(values);
  const paths = outputPaths(values, shard);
  const job = await openSequenceJob(values, io.stderr, shard);
  const writes: PendingWrite[] = [];
  try {
    const { layout, range } = job;
    const rows = range.end - range.start;
    const inputs = shard === undefined ? {} : describeInputs(fileFlags(RUN_FLAGS, values, 'input'), values);
    /** The sink of `array` at `path`, and its shard record when sharded. */
    const open = (path: string, array: ShardArray, shape: number[], batchAxis: number | null): ArraySink => {
      const pieceShape = withBatch(shape, batchAxis, rows);
      const sink = createArraySink(path, pieceShape, batchAxis);
      writes.push(sink);
      if (shard !== undefined) {
        const record = { array, shard: { index: shard.index, count: shard.count }, batch: layout.batchSize, batchAxis, shape: pieceShape, inputs };
        writes.push(openShardRecord(path, record));
      }
      return sink;
    };
    const output = open(paths.output, 'output', layout.outputShape, layout.sequenceBatchAxis);
    const hn = paths.hn === undefined ? undefined : open(paths.hn, 'h_n', layout.stateShape, layout.stateBatchAxis);
    const summary = await runSequenceJob(
      job,
      [implementation],
      (chunk, outputs) => {
        const result = outputs[implementation] as ChunkOutput;
        output.writeRows(chunk.start - range.start, chunk.end - range.start, result.output.data);
        hn?.writeRows(chunk.start - range.start, chunk.end - range.start, result.hN.data);
      },
      io.stderr,
    );
    await commitAll(writes);
    io.stderr.write(`${summary}\n`);
    return EXIT_OK;
  } finally {
    writes.forEach((write) => write.abort());
    closeSequenceJob(job);
  }
}
