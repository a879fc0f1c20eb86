import { FORWARD_TOLERANCE } from '../../compare';
import { ShapeError, formatShape } from '../../errors';
import { BatchComparison } from '../batchComparison';
import { withBatch } from '../batchRows';
import { ChunkOutput, IMPLEMENTATIONS } from '../chunkRunner';
import { FlagValues, arrayKey, nonNegativeNumber, optionalString, parseFlags } from '../flags';
import { CliIO, EXIT_CHECK_FAILED, EXIT_OK } from '../io';
import { FileLayout, ModelOutput, modelOutputs } from '../layout';
import { ArraySource, openArraySource } from '../sequenceFile';
import { SEQUENCE_FLAGS, SequenceJob, closeSequenceJob, openSequenceJob, refuseStatesWithModel, runSequenceJob } from '../sequenceJob';

export const CHECK_FLAGS = {
  ...SEQUENCE_FLAGS,
  'expected-output': { type: 'string', file: 'input' },
  'expected-output-key': { type: 'string' },
  'expected-hn': { type: 'string', file: 'input' },
  'expected-hn-key': { type: 'string' },
  'expected-cn': { type: 'string', file: 'input' },
  'expected-cn-key': { type: 'string' },
  rtol: { type: 'string' },
  atol: { type: 'string' },
} as const;

/** The flag of each output's expected array (`--expected-cn`: an LSTM's only). */
const EXPECTED_FLAGS: Record<ModelOutput['name'], string> = { output: 'expected-output', h_n: 'expected-hn', c_n: 'expected-cn' };

/** One output of the model, and its expected array when given. */
interface CheckedOutput extends ModelOutput {
  expected?: ArraySource;
}

/** Opens `--expected-output` / `--expected-hn` / `--expected-cn`, checking their shapes against what the model returns. */
async function openExpected(values: FlagValues, flag: string, shape: number[], role: string): Promise<ArraySource | undefined> {
  const path = optionalString(values, flag);
  if (path === undefined) return undefined;
  const source = await openArraySource(path, role, arrayKey(values, flag));
  if (formatShape(source.shape) !== formatShape(shape)) {
    source.close();
    throw new ShapeError(source.name, `${formatShape(shape)} (the ${role} of this input)`, formatShape(source.shape));
  }
  return source;
}

async function checkedOutputs(values: FlagValues, layout: FileLayout): Promise<CheckedOutput[]> {
  const checked: CheckedOutput[] = [];
  try {
    for (const output of modelOutputs(layout)) {
      checked.push({ ...output, expected: await openExpected(values, EXPECTED_FLAGS[output.name], output.shape, output.name) });
    }
    return checked;
  } catch (error) {
    checked.forEach((output) => output.expected?.close());
    throw error;
  }
}

/** The comparisons of one output: manual vs layers, and each implementation vs the expected array when given. */
function comparisonsOf(output: CheckedOutput, job: SequenceJob, tolerance: { rtol: number; atol: number }) {
  const rows = job.range.end - job.range.start;
  const shape = withBatch(output.shape, output.batchAxis, rows);
  const make = (label: string) => new BatchComparison(`${output.name}, ${label}`, shape, output.batchAxis, job.range.start, tolerance);
  return {
    betweenImplementations: make('manual vs layers'),
    againstExpected: output.expected === undefined ? [] : IMPLEMENTATIONS.map((implementation) => [implementation, make(`${implementation} vs expected`)] as const),
  };
}

/**
 * `tfjs-rnn check`: runs both implementations over the input, compares them with each other
 * and with the expected arrays when given (e.g. exported from PyTorch), and prints a report
 * per output. Exit 1 when any comparison is outside tolerance.
 */
export async function checkCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, CHECK_FLAGS);
  const tolerance = {
    rtol: nonNegativeNumber(values, 'rtol', FORWARD_TOLERANCE.rtol),
    atol: nonNegativeNumber(values, 'atol', FORWARD_TOLERANCE.atol),
  };
  refuseStatesWithModel(values, ['expected-hn', 'expected-cn']);
  const job = await openSequenceJob(values, io.stderr);
  let outputs: CheckedOutput[] = [];
  try {
    outputs = await checkedOutputs(values, job.layout);
    const comparisons = outputs.map((output) => comparisonsOf(output, job, tolerance));
    const summary = await runSequenceJob(
      job,
      [...IMPLEMENTATIONS],
      (range, results) => {
        const { manual, layers } = results as Required<typeof results>;
        outputs.forEach((output, index) => {
          const blockShape = withBatch(output.shape, output.batchAxis, range.end - range.start);
          const { betweenImplementations, againstExpected } = comparisons[index];
          betweenImplementations.add(range.start, blockShape, output.pick(manual), output.pick(layers));
          if (output.expected === undefined) return;
          const expected = output.expected.readRows(output.batchAxis, range.start, range.end);
          againstExpected.forEach(([implementation, comparison]) => comparison.add(range.start, blockShape, output.pick(results[implementation] as ChunkOutput), expected));
        });
      },
      io.stderr,
    );
    const all = comparisons.flatMap(({ betweenImplementations, againstExpected }) => [betweenImplementations, ...againstExpected.map(([, comparison]) => comparison)]);
    all.forEach((comparison) => io.stdout.write(`${comparison.describe()}\n`));
    const outside = all.filter((comparison) => !comparison.comparison.ok).length;
    io.stdout.write(outside === 0 ? `check passed: ${all.length} comparisons within tolerance\n` : `check FAILED: ${outside} of ${all.length} comparisons outside tolerance\n`);
    io.stderr.write(`${summary}\n`);
    return outside === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
  } finally {
    outputs.forEach((output) => output.expected?.close());
    closeSequenceJob(job);
  }
}
