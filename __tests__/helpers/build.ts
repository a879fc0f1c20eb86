import { execFileSync } from 'child_process';
import { existsSync, readdirSync, statSync } from 'fs';
import { join } from 'path';

/** The repository. */
export const ROOT = join(__dirname, '..', '..');
/** The built CLI, as the package's bin runs it. */
export const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * Runs `npm run build` unless dist/ is newer than every source (as right after `npm test`'s
 * own build), so that suites reading dist/ in parallel never see it rewritten.
 */
export function buildOnce(): void {
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  const newestSource = Math.max(...sources.map((name) => statSync(join(ROOT, 'src', name)).mtimeMs));
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestSource) return;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    // tsc prints its errors on stdout, which the error's message leaves out.
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
