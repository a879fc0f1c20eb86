import { buildOnce } from './build';

/**
 * Runs once per jest run, before any test file (jest `globalSetup`): builds dist/ when a source
 * is newer, so that the suites that run the built package (the CLI in child processes, the doc
 * test, the browser bundles, npm pack) test the sources as they are, and no suite builds while
 * another reads dist/.
 */
export default function globalSetup(): void {
  buildOnce();
}
