import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/__tests__/helpers/setup.ts'],
  // dist/ built once per run, when a source is newer, before any suite reads it.
  globalSetup: '<rootDir>/__tests__/helpers/globalSetup.ts',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { rootDir: '.', sourceMap: true } }],
  },
  testTimeout: 120_000,
};

export default config;
