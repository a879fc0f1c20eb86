/**
 * `npm run bench -- [flags]`: times the hand-written recurrence against its tf.layers twin
 * (and PyTorch when /usr/bin/python3 has torch) for every cell, shape and backend; see args.ts.
 * Progress goes to stderr; stdout holds the report, or with --json one JSON array
 * (`npm run -s bench -- --json`, as npm itself prints a banner on stdout without -s).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { availableBackends } from '../src/backend';
import { Mode as Cell } from '../src/config';
import { ArgumentError } from '../src/errors';
import { BenchArgs, USAGE, parseArgs } from './args';
import { CLI_MAIN, CliRecord, measureCli } from './cliThroughput';
import { MergeRecord, formatMerge, measureMerge } from './mergeMemory';
import { runMicro } from './micro';
import { BenchRecord, ShapeResult } from './record';
import { formatReport, formatTargets } from './report';
import { SHAPES, describeShape } from './shapes';
import { TARGET_POLICY } from './timing';
import { runTorchBench } from './torch';

const MEASURE_SCRIPT = path.join(__dirname, 'measureShape.ts');

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Measures one shape of one cell on one backend in a fresh process; its stdout goes to our stderr. */
function measureInChild(backend: string, shapeIndex: number, cell: Cell, args: BenchArgs): ShapeResult {
  const flags = [
    '--backend', backend,
    '--shapes', String(shapeIndex + 1),
    '--cells', cell,
    ...(args.runs ? ['--runs', String(args.runs)] : []),
    ...(args.slow ? ['--slow'] : []),
  ];
  const result = spawnSync(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), MEASURE_SCRIPT, ...flags],
    { stdio: ['ignore', process.stderr, 'inherit', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  const output = result.output?.[3];
  if (result.status !== 0 || !output) {
    throw new Error(`measuring ${cell} ${describeShape(SHAPES[shapeIndex])} on ${backend} failed (exit ${result.status})`);
  }
  return JSON.parse(output) as ShapeResult;
}

function chooseBackends(args: BenchArgs): string[] {
  const available = availableBackends();
  for (const backend of args.backends ?? []) {
    if (!available.includes(backend)) {
      throw new ArgumentError('--backend', `an available backend (${available.join(', ')})`, `'${backend}'`);
    }
  }
  return args.backends ?? available;
}

/**
 * `tfjs-rnn run` with 1 and 2 workers, when the RNN's shape 1 is measured, dist/ is built and a
 * backend other than cpu is; then the memory of `tfjs-rnn merge`.
 */
async function runCli(args: BenchArgs, backends: string[]): Promise<{ records: CliRecord[]; merges: MergeRecord[]; notes: string[] }> {
  if (args.skipCli || !args.shapes.includes(0) || !args.cells.includes('RNN')) return { records: [], merges: [], notes: [] };
  if (!fs.existsSync(CLI_MAIN)) return { records: [], merges: [], notes: [`CLI throughput skipped: ${CLI_MAIN} not built (npm run build)`] };
  const backend = backends.find((name) => name !== 'cpu');
  if (backend === undefined) return { records: [], merges: [], notes: ['CLI throughput skipped: only the cpu backend was asked for'] };
  let start = performance.now();
  const records = await measureCli(backend);
  progress(`tfjs-rnn run ${((performance.now() - start) / 1000).toFixed(1)} s`);
  start = performance.now();
  const merges = await measureMerge();
  progress(`tfjs-rnn merge ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return { records, merges, notes: [] };
}

async function runShapes(args: BenchArgs): Promise<{ records: BenchRecord[]; merges: MergeRecord[]; notes: string[] }> {
  const records: BenchRecord[] = [];
  const notes: string[] = [];
  const backends = chooseBackends(args);
  for (const cell of args.cells) {
    for (const backend of backends) {
      for (const shapeIndex of args.shapes) {
        const start = performance.now();
        const result = measureInChild(backend, shapeIndex, cell, args);
        records.push(...result.records);
        notes.push(...result.notes);
        progress(`${cell} ${backend} ${describeShape(SHAPES[shapeIndex])} ${((performance.now() - start) / 1000).toFixed(1)} s`);
      }
    }
  }
  if (args.skipTorch) {
    notes.push('PyTorch column skipped: --no-torch');
  } else {
    const start = performance.now();
    const torch = runTorchBench(
      args.shapes.map((index) => SHAPES[index]),
      args.cells,
      { ...TARGET_POLICY, runs: args.runs },
    );
    records.push(...torch.records);
    if (torch.note) notes.push(torch.note);
    progress(`torch ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  const cli = await runCli(args, backends);
  records.push(...cli.records);
  notes.push(...cli.notes);
  return { records, merges: cli.merges, notes };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const start = performance.now();
  if (args.micro) {
    await runMicro(args);
  } else {
    const { records, merges, notes } = await runShapes(args);
    if (args.json) {
      notes.forEach((note) => progress(note));
      process.stdout.write(`${JSON.stringify([...records, ...merges])}\n`);
    } else {
      const mergeSection = merges.length > 0 ? [formatMerge(merges)] : [];
      const sections = [formatReport(records), ...mergeSection, ...(notes.length > 0 ? [notes.join('\n')] : []), formatTargets(records)];
      process.stdout.write(`${sections.join('\n\n')}\n`);
    }
  }
  progress(`done in ${((performance.now() - start) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `bench: ${error.message}` : error);
  process.exit(1);
});
