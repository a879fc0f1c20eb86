import { spawnSync } from 'child_process';

/**
 * Real PyTorch for the tests that check what this package writes: `python3` with `torch`
 * importable (`.ci/run` installs Debian's python3-torch when it is missing; `TFJS_RNN_PYTHON`
 * names another Python, e.g. a virtualenv's). Without it, those tests are skipped with a note on
 * a user's machine, and fail under `CI=true`.
 */

/** `TFJS_RNN_PYTHON` when set, else the first of /usr/bin/python3 and python3, if it imports torch. */
function findTorchPython(): string | undefined {
  const candidates = process.env.TFJS_RNN_PYTHON ? [process.env.TFJS_RNN_PYTHON] : ['/usr/bin/python3', 'python3'];
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

export const TORCH_PYTHON = findTorchPython();

let noted = false;

/** `it` with the path of a Python that has torch; see the module comment for when there is none. */
export function itWithTorch(name: string, test: (python: string) => void | Promise<void>, timeout?: number): void {
  if (TORCH_PYTHON !== undefined) {
    it(name, async () => test(TORCH_PYTHON as string), timeout);
  } else if (process.env.CI === 'true') {
    it(name, () => {
      throw new Error('python3 with torch is needed under CI=true (.ci/run installs python3-torch: apt-get install -y python3-torch)');
    });
  } else {
    if (!noted) process.stderr.write('note: python3 with torch not found; the tests that load written files in PyTorch are skipped\n');
    noted = true;
    it.skip(name, () => undefined);
  }
}

/** Runs `script` with `args` in `python`; returns its stdout, or throws with its stderr. */
export function runPython(python: string, script: string, args: string[] = []): string {
  const result = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`python exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}
