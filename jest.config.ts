import type { Config } from 'jest';
import * as os from 'os';

/** The cores jest counts (Node before 18.14 has no availableParallelism). */
const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/__tests__/helpers/setup.ts'],
  // dist/ built once per run, when a source is newer, before any suite reads it.
  globalSetup: '<rootDir>/__tests__/helpers/globalSetup.ts',
  // ts-jest transpiles each file alone (isolatedModules): `npm test` type-checks the tests in one
  // program beforehand (tsconfig.test.json), so the workers build no language service.
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { rootDir: '.', sourceMap: true, isolatedModules: true } }],
  },
  // Jest's default (cores − 1) runs every file in one process on 2 cores; its main process only
  // waits while workers run, so two workers use both cores (the subprocess and browser suites
  // mostly wait on their children meanwhile). More cores: jest's default.
  maxWorkers: Math.max(2, cores - 1),
  // Two workers share the cores: a test may take up to twice as long as when it runs alone.
  testTimeout: 240_000,
};

export default config;
