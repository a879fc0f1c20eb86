import { expectedWorkerThreads } from '../../src/cli/workerThreads';

/**
 * The worker threads the CLI starts before it loads tfjs, from its command line alone: those
 * `run` and `check` will ask for (`--workers`, the cores by default, at most the cores), minus
 * the calling thread; none for anything else. The flags are checked later, as always.
 */

describe('expectedWorkerThreads', () => {
  it.each<[string[], number, number]>([
    [['run', '--input', 'x.npy'], 2, 1],
    [['check', '--input', 'x.npy'], 4, 3],
    [['run', '--workers', '2'], 2, 1],
    [['run', '--workers=3', '--input', 'x.npy'], 8, 2],
    [['run', '--workers', '7'], 2, 1],
    [['run', '--workers', '1'], 2, 0],
    [['run'], 1, 0],
    [['run', '--workers', '0'], 2, 0],
    [['run', '--workers', '2.5'], 4, 0],
    [['run', '--workers', 'two'], 2, 0],
    [['run', '--workers'], 2, 0],
    [['run', '--workers', '2', '--help'], 2, 0],
    [['check', '-h'], 2, 0],
    [['merge', '--workers', '2'], 2, 0],
    [['generate'], 2, 0],
    [[], 2, 0],
  ])('%j on %i cores: %i', (argv, cores, expected) => {
    expect(expectedWorkerThreads(argv, cores)).toBe(expected);
  });
});
