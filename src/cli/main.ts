#!/usr/bin/env node
import * as tf from '@tensorflow/tfjs';
import { RNNError } from '../errors';
import { removeTempFiles } from '../formats';
import { checkCommand } from './commands/check';
import { convertCommand } from './commands/convert';
import { generateCommand } from './commands/generate';
import { infoCommand } from './commands/info';
import { mergeCommand } from './commands/merge';
import { runCommand } from './commands/run';
import { UsageError } from './flags';
import { CliIO, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK } from './io';
import { GENERAL_USAGE, USAGE } from './usage';

/** The `tfjs-rnn` command line: dispatch, errors as one line, exit codes. */

const COMMANDS: Record<string, (argv: string[], io: CliIO) => Promise<number>> = {
  run: runCommand,
  check: checkCommand,
  convert: convertCommand,
  info: infoCommand,
  merge: mergeCommand,
  generate: generateCommand,
};

const HELP_FLAGS = ['--help', '-h'];

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
  const handler = COMMANDS[command];
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

/**
 * A reader that went away (`| head -1`, `| true`) is not an error: what is left to print goes
 * nowhere and the command ends with its own exit code, instead of node's unhandled EPIPE.
 */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

if (require.main === module) {
  ignoreClosedPipe(process.stdout);
  ignoreClosedPipe(process.stderr);
  exitOnSignal('SIGHUP', 129);
  exitOnSignal('SIGINT', 130);
  exitOnSignal('SIGTERM', 143);
  void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}
