import { commitAll } from '../../formats';
import { withBatch } from '../batchRows';
import { FlagValues, implementationFlag, optionalString, parseFlags, requiredString } from '../flags';
import { ChunkOutput } from '../chunkRunner';
import { CliIO, EXIT_OK } from '../io';
import { ArraySink, checkOutputExtension, createArraySink } from '../outputFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { SEQUENCE_FLAGS, closeSequenceJob, openSequenceJob, runSequenceJob } from '../sequenceJob';

const RUN_FLAGS = {
  ...SEQUENCE_FLAGS,
  output: { type: 'string', file: 'output' },
  hn: { type: 'string', file: 'output' },
  impl: { type: 'string' },
} as const;

/** Output paths, checked before any work: extensions, and every output file against the inputs and each other. */
function outputPaths(values: FlagValues): { output: string; hn?: string } {
  const output = requiredString(values, 'output');
  const outputs = fileFlags(RUN_FLAGS, values, 'output');
  outputs.forEach(({ path }) => checkOutputExtension(path));
  checkOutputFiles(outputs, fileFlags(RUN_FLAGS, values, 'input'));
  return { output, hn: optionalString(values, 'hn') };
}

/**
 * `tfjs-rnn run`: the model over every sequence of --input (or of one --shard), writing
 * `output` (and `h_n` with --hn) laid out as PyTorch returns them. Outputs are written to temp
 * files and renamed at the end, all or none, so a failed run leaves none.
 */
export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, RUN_FLAGS);
  const implementation = implementationFlag(values);
  const paths = outputPaths(values);
  const job = await openSequenceJob(values, io.stderr);
  const sinks: ArraySink[] = [];
  try {
    checkOutputFiles(fileFlags(RUN_FLAGS, values, 'output'), weightFiles(job.weightSources));
    const { layout, range } = job;
    const rows = range.end - range.start;
    const output = createArraySink(paths.output, withBatch(layout.outputShape, layout.sequenceBatchAxis, rows), layout.sequenceBatchAxis);
    sinks.push(output);
    const hn = paths.hn === undefined ? undefined : createArraySink(paths.hn, withBatch(layout.stateShape, layout.stateBatchAxis, rows), layout.stateBatchAxis);
    if (hn !== undefined) sinks.push(hn);
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
    await commitAll(sinks);
    io.stderr.write(`${summary}\n`);
    return EXIT_OK;
  } finally {
    sinks.forEach((sink) => sink.abort());
    closeSequenceJob(job);
  }
}
