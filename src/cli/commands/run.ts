import { commitAll } from '../../formats';
import { withBatch } from '../batchRows';
import { FlagValues, implementationFlag, optionalString, parseFlags, requiredString } from '../flags';
import { ChunkOutput } from '../chunkRunner';
import { CliIO, EXIT_OK } from '../io';
import { ModelOutput, modelOutputs } from '../layout';
import { ArraySink, checkOutputExtension, createArraySink } from '../outputFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { SEQUENCE_FLAGS, closeSequenceJob, openSequenceJob, runSequenceJob } from '../sequenceJob';

const RUN_FLAGS = {
  ...SEQUENCE_FLAGS,
  output: { type: 'string', file: 'output' },
  hn: { type: 'string', file: 'output' },
  cn: { type: 'string', file: 'output' },
  impl: { type: 'string' },
} as const;

/** The flag that writes each output of the model (`--cn`: an LSTM's only). */
const OUTPUT_FLAGS: Record<ModelOutput['name'], string> = { output: 'output', h_n: 'hn', c_n: 'cn' };

/** Output paths, checked before any work: --output given, extensions, and every output file against the inputs and each other. */
function checkOutputPaths(values: FlagValues): void {
  requiredString(values, 'output');
  const outputs = fileFlags(RUN_FLAGS, values, 'output');
  outputs.forEach(({ path }) => checkOutputExtension(path));
  checkOutputFiles(outputs, fileFlags(RUN_FLAGS, values, 'input'));
}

/**
 * `tfjs-rnn run`: the model over every sequence of --input (or of one --shard), writing
 * `output` (and `h_n` with --hn, an LSTM's `c_n` with --cn) laid out as PyTorch returns them.
 * Outputs are written to temp files and renamed at the end, all or none, so a failed run
 * leaves none.
 */
export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, RUN_FLAGS);
  const implementation = implementationFlag(values);
  checkOutputPaths(values);
  const job = await openSequenceJob(values, io.stderr);
  const sinks: { output: ModelOutput; sink: ArraySink }[] = [];
  try {
    checkOutputFiles(fileFlags(RUN_FLAGS, values, 'output'), weightFiles(job.weightSources));
    const { layout, range } = job;
    const rows = range.end - range.start;
    for (const output of modelOutputs(layout)) {
      const path = optionalString(values, OUTPUT_FLAGS[output.name]);
      if (path !== undefined) sinks.push({ output, sink: createArraySink(path, withBatch(output.shape, output.batchAxis, rows), output.batchAxis) });
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
    await commitAll(sinks.map(({ sink }) => sink));
    io.stderr.write(`${summary}\n`);
    return EXIT_OK;
  } finally {
    sinks.forEach(({ sink }) => sink.abort());
    closeSequenceJob(job);
  }
}
