#!/usr/bin/env node
import './earlyWorkers'; // First: starts worker threads before tfjs loads here.
import * as tf from '@tensorflow/tfjs-core';
import { RNNError } from '../errors';
import { writeSync } from 'fs';
import { readFileSync } from 'fs';
import { join } from 'path';
import { removeTempFiles, systemErrorText } from '../formats';
import { CHECK_FLAGS, checkCommand } from './commands/check';
import { CONVERT_FLAGS, convertCommand } from './commands/convert';
import { GENERATE_FLAGS, generateCommand } from './commands/generate';
import { INFO_FLAGS, infoCommand } from './commands/info';
import { MERGE_FLAGS, mergeCommand } from './commands/merge';
import { RUN_FLAGS, runCommand } from './commands/run';
import { FlagSpec, UsageError } from './flags';
import { CliIO, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK } from './io';
import { GENERAL_USAGE, USAGE } from './usage';

/** The `tfjs-rnn` command line: dispatch, errors as one line, exit codes. */

/** Each command: what runs it, and the flags it accepts (every one listed in its `--help`). */
export const COMMANDS: Record<string, { run: (argv: string[], io: CliIO) => Promise<number>; flags: FlagSpec }> = {
  run: { run: runCommand, flags: RUN_FLAGS },
  check: { run: checkCommand, flags: CHECK_FLAGS },
  convert: { run: convertCommand, flags: CONVERT_FLAGS },
  info: { run: infoCommand, flags: INFO_FLAGS },
  merge: { run: mergeCommand, flags: MERGE_FLAGS },
  generate: { run: generateCommand, flags: GENERATE_FLAGS },
};

export const HELP_FLAGS = ['--help', '-h'];
/** As npm and node print theirs: `-v`, `--version`. */
export const VERSION_FLAGS = ['--version', '-v'];

/** The package's version, from its package.json (two folders up from `dist/cli/` and from `src/cli/`). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** One line: newlines inside a message (from a parser, say) become spaces. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * Runs `tfjs-rnn` with `argv` (without `node` and the script), writing to `io`; resolves to
 * the exit code: 0 success, 1 `check` outside tolerance, 2 bad input or usage (one line naming
 * the file or flag, what was expected and what was found), 3 an unexpected failure.
 */
export async function main(argv: string[], io: CliIO): Promise<number> {
  tf.env().set('PROD', true); // No tfjs notices on stderr: it carries the progress and summary.
  const [command, ...rest] = argv;
  if (command === undefined || HELP_FLAGS.includes(command) || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(`${GENERAL_USAGE}\n`);
    return command === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  if (VERSION_FLAGS.includes(command)) {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  const handler = COMMANDS[command]?.run;
  if (handler === undefined) {
    io.stderr.write(`tfjs-rnn: command: expected one of ${Object.keys(COMMANDS).join(', ')}, got '${oneLine(command)}'\n${GENERAL_USAGE}\n`);
    return EXIT_BAD_INPUT;
  }
  if (rest.some((arg) => HELP_FLAGS.includes(arg))) {
    io.stdout.write(`${USAGE[command]}\n`);
    return EXIT_OK;
  }
  try {
    return await handler(rest, io);
  } catch (error) {
    const message = oneLine(error instanceof Error ? error.message : String(error));
    if (error instanceof UsageError) {
      io.stderr.write(`tfjs-rnn ${command}: ${message}\n${USAGE[command]}\n`);
      return EXIT_BAD_INPUT;
    }
    if (error instanceof RNNError) {
      io.stderr.write(`tfjs-rnn ${command}: ${message}\n`);
      return EXIT_BAD_INPUT;
    }
    io.stderr.write(`tfjs-rnn ${command}: internal error: ${message}\n`);
    return EXIT_INTERNAL;
  }
}

/** Interrupted (Ctrl-C, kill, the terminal closed): remove the temp outputs, then exit as a shell reports the signal. */
function exitOnSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    removeTempFiles();
    process.exit(code);
  });
}

/** Whether a write to stdout or stderr failed (other than a closed pipe): the command then exits `EXIT_BAD_INPUT`. */
let outputFailed = false;

/**
 * Watches a write to `stream` (`name`, stdout or stderr) failing. A reader that went away
 * (`| head -1`, `| true`, EPIPE) is not an error: what is left to print goes nowhere and the
 * command ends with its own exit code. Any other failure (`> /dev/full`: ENOSPC, EIO) is one
 * line on stderr while stderr still works, and exit 2, instead of node's stack trace.
 */
function watchOutput(stream: NodeJS.WriteStream, name: 'stdout' | 'stderr', command: string): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || outputFailed) return;
    outputFailed = true;
    process.exitCode = EXIT_BAD_INPUT;
    if (name === 'stderr') return;
    try {
      writeSync(2, `tfjs-rnn ${command}: ${name}: expected a writable output, got ${oneLine(systemErrorText(error))}\n`);
    } catch {
      // stderr fails too: the exit code says it.
    }
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  watchOutput(process.stdout, 'stdout', argv[0] ?? '');
  watchOutput(process.stderr, 'stderr', argv[0] ?? '');
  exitOnSignal('SIGHUP', 129);
  exitOnSignal('SIGINT', 130);
  exitOnSignal('SIGTERM', 143);
  void main(argv, { stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = outputFailed ? EXIT_BAD_INPUT : code;
  });
}
