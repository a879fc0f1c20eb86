import { extname, join } from 'path';
import { availableCores, expectedWorkerThreads, startWorkersEarly } from './workerThreads';

/**
 * Imported first by the CLI's entry (`main.ts`), before tfjs: when the process is the CLI,
 * starts the worker threads its command line asks for, so that they load tfjs and this package
 * while the main thread does the same (see `workerThreads.ts`).
 */
if (require.main?.filename === join(__dirname, `main${extname(__filename)}`)) {
  startWorkersEarly(expectedWorkerThreads(process.argv.slice(2), availableCores()));
}
