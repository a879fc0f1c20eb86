import { extname } from 'path';
import { PendingWrite, commitAll } from '../../formats';
import { withBatch } from '../batchRows';
import { ArgumentError } from '../../errors';
import { FlagValues, implementationFlag, parseFlags, requiredString } from '../flags';
import { refuseStatesWithModel } from '../sequenceJob';
import { ChunkOutput } from '../chunkRunner';
import { CliIO, EXIT_OK } from '../io';
import { ModelOutput, modelOutputs } from '../layout';
import { ArraySink, checkOutputExtension, createArraySink } from '../outputFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { SEQUENCE_FLAGS, closeSequenceJob, openSequenceJob, runSequenceJob } from '../sequenceJob';
import { Shard, shardFlag, shardPath } from '../shard';
import { describeInputs, openShardRecord, shardRecordPath } from '../shardRecord';

export const RUN_FLAGS = {
  ...SEQUENCE_FLAGS,
  output: { type: 'string', file: 'output' },
  hn: { type: 'string', file: 'output' },
  cn: { type: 'string', file: 'output' },
  impl: { type: 'string' },
} as const;

/** The flag that writes each output of the model (`--cn`: an LSTM's only). */
const OUTPUT_FLAGS: Record<ModelOutput['name'], string> = { output: 'output', h_n: 'hn', c_n: 'cn' };

/**
 * Output paths by output flag, checked before any work: named after the shard (`{shard}`, or
 * under --shard auto), extensions, and every file written (shard records too) against the
 * inputs and each other.
 */
function outputPaths(values: FlagValues, shard: Shard | undefined): Map<string, string> {
  requiredString(values, 'output');
  refuseStatesWithModel(values, ['hn', 'cn']);
  const outputs = fileFlags(RUN_FLAGS, values, 'output').map(({ name, path }) => ({ name, path: shardPath(path, shard, name) }));
  outputs.forEach(({ path }) => checkOutputExtension(path));
  const records = shard === undefined ? [] : outputs.map(({ name, path }) => ({ name: `${name} record`, path: shardRecordPath(path) }));
  checkOutputFiles([...outputs, ...records], fileFlags(RUN_FLAGS, values, 'input'));
  const json = outputs.find(({ path }) => extname(path).toLowerCase() === '.json');
  if (shard !== undefined && json !== undefined) {
    throw new ArgumentError(`${json.name} ${json.path}`, 'a .npy output with --shard (merge reads .npy pieces)', 'a .json output');
  }
  return new Map(outputs.map(({ name, path }) => [name, path]));
}

/**
 * `tfjs-rnn run`: the model over every sequence of --input (or of one --shard), writing
 * `output` (and `h_n` with --hn, an LSTM's `c_n` with --cn) laid out as PyTorch returns them;
 * a shard's outputs each with its shard record, for `merge`. Outputs are written to temp files
 * and renamed at the end, all or none, so a failed run leaves none.
 */
export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, RUN_FLAGS);
  const implementation = implementationFlag(values);
  const shard = shardFlag(values);
  const paths = outputPaths(values, shard);
  const job = await openSequenceJob(values, io.stderr, shard);
  const writes: PendingWrite[] = [];
  try {
    checkOutputFiles([...paths].map(([name, path]) => ({ name, path })), weightFiles(job.weightSources));
    const { layout, range } = job;
    const rows = range.end - range.start;
    const inputs = shard === undefined ? {} : describeInputs(fileFlags(RUN_FLAGS, values, 'input'), values);
    const sinks: { output: ModelOutput; sink: ArraySink }[] = [];
    for (const output of modelOutputs(layout)) {
      const path = paths.get(`--${OUTPUT_FLAGS[output.name]}`);
      if (path === undefined) continue;
      const pieceShape = withBatch(output.shape, output.batchAxis, rows);
      const sink = createArraySink(path, pieceShape, output.batchAxis);
      writes.push(sink);
      sinks.push({ output, sink });
      if (shard !== undefined) {
        const computation = { impl: implementation, backend: job.backend, loop: job.loop };
        const record = { array: output.name, shard: { index: shard.index, count: shard.count }, batch: layout.batchSize, batchAxis: output.batchAxis, shape: pieceShape, inputs, ...computation };
        writes.push(openShardRecord(sink, record));
      }
    }
    const summary = await runSequenceJob(
      job,
      [implementation],
      (chunk, outputs) => {
        const result = outputs[implementation] as ChunkOutput;
        sinks.forEach(({ output, sink }) => sink.writeRows(chunk.start - range.start, chunk.end - range.start, output.pick(result)));
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
