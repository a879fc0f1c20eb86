import { readFileSync } from 'fs';
import { join } from 'path';
import { availableBackends } from '../../src/backend';
import { COMMANDS } from '../../src/cli/main';
import { GENERAL_USAGE, USAGE } from '../../src/cli/usage';
import { FIXTURES, runCli } from './helpers';

/**
 * Every command's --help lists every flag its parser accepts, and no other: a flag added to a
 * command's spec fails here until its help line is written.
 */

/** The flags a help text lists: each option line's `--name` (and `-x, --name`). */
function listedFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z0-9-]*)/gm)].map((match) => match[1]);
}

describe.each(Object.entries(COMMANDS))('tfjs-rnn %s --help', (name, { flags }) => {
  test('lists every flag the command accepts, and only those (and --help)', () => {
    const listed = new Set(listedFlags(USAGE[name]));
    expect([...listed].sort()).toEqual([...Object.keys(flags), 'help'].sort());
  });

  test('a short form of a flag is listed with it', () => {
    for (const [flag, { short }] of Object.entries(flags)) {
      if (short !== undefined) expect(USAGE[name]).toMatch(new RegExp(`^ {2}-${short}, --${flag}\\b`, 'm'));
    }
  });

  test.each(['--help', '-h'])('%s prints it on stdout, whatever else is given', async (help) => {
    expect(await runCli([name, '--no-such-flag', help])).toEqual({ code: 0, stdout: `${USAGE[name]}\n`, stderr: '' });
  });
});

describe('tfjs-rnn', () => {
  const version = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

  test.each(['--version', '-v'])('%s prints the version alone, as npm does', async (flag) => {
    expect(await runCli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('--help lists the commands and the options', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${GENERAL_USAGE}\n`);
    Object.keys(COMMANDS).forEach((name) => expect(stdout).toMatch(new RegExp(`^ {2}${name} `, 'm')));
    expect(listedFlags(stdout).sort()).toEqual(['help', 'version']);
  });

  test('--backend tensorflow without tfjs-node says how to get it', async () => {
    const result = await runCli(['info', '--weights', join(FIXTURES, 'model', 'weights.safetensors'), '--backend', 'tensorflow']);
    if (availableBackends().includes('tensorflow')) return expect(result.code).toBe(0);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: "tfjs-rnn info: backend: expected a registered backend (wasm, cpu), got 'tensorflow' (it comes with @tensorflow/tfjs-node: npm install @tensorflow/tfjs-node, whose install downloads libtensorflow)\n",
    });
  });
});
