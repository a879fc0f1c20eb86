import { TextSink } from './progress';

/** Where a command writes: `process.stdout` and `process.stderr`, or stand-ins in tests. */
export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
}

/** Exit codes: success, a `check` outside tolerance, bad input or usage, and anything unexpected. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;
