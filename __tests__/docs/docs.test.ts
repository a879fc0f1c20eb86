import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, resolve } from 'path';
import * as ts from 'typescript';
import { FORWARD_TOLERANCE } from '../../src/compare';
import { TORCH_PYTHON } from '../helpers/python';
import { DocBlock, anchorsOf, blockName, blocksOf, markdownFiles, numbersDiffer, relativeLinksOf } from './blocks';

/**
 * Every fenced block of every Markdown file in the repository (README.md, docs/, bench/, scripts/,
 * …), executed or checked as a reader would use it, so the documentation cannot drift from the
 * code (`blocks.ts` says which block gets what):
 *
 * - ts: all blocks of all files type-checked in one `strict` program as ES modules that import
 *   'tfjs-rnn' (the built package with its declarations) and '@tensorflow/tfjs'; then run with node;
 * - js: run with node (CommonJS when it calls `require`, an ES module otherwise);
 * - python: run with a Python that has torch (`helpers/python.ts`; without one, a file's blocks are
 *   skipped with a note, and fail under CI=true);
 * - sh, console: run with bash -e, `npx tfjs-rnn` being the package's own command;
 * - yaml, json: parsed; text: output and notation, not code.
 *
 * The blocks of one file run in order in one fresh folder, so a Python block can write model.pt
 * that the next block reads. A failure names the file and the line of the block.
 */

const ROOT = resolve(__dirname, '..', '..');
const DOCS = markdownFiles(ROOT).map((file) => ({ file, blocks: blocksOf(ROOT, file) }));
const RUN_TIMEOUT_MS = 120_000;
const folders: string[] = [];

afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** npm's npx: the one next to this node, else the first on the PATH. */
const NPX = [dirname(process.execPath), ...(process.env.PATH ?? '').split(':')].map((dir) => join(dir, 'npx')).find((path) => existsSync(path)) ?? 'npx';

/**
 * The `npx` of a project's blocks, first on their PATH: `npx NAME …` for one of the project's own
 * bins runs that bin, as npx does, without npm's start-up (a second of CPU per call); anything else
 * goes to npm's npx. npm resolving `npx tfjs-rnn` in an installed project is tested by
 * `packaging/pack.test.ts`, and in the clone by `cli/subprocess.test.ts`.
 */
function writeNpxShim(folder: string): string {
  const shims = join(folder, '.doc-test-bin');
  mkdirSync(shims);
  const script = [
    '#!/bin/sh',
    `if [ -n "$1" ] && [ -x "${join(folder, 'node_modules', '.bin')}/$1" ]; then`,
    `  bin="${join(folder, 'node_modules', '.bin')}/$1"; shift; exec "$bin" "$@"`,
    'fi',
    `exec "${NPX}" "$@"`,
  ];
  writeFileSync(join(shims, 'npx'), script.join('\n') + '\n');
  chmodSync(join(shims, 'npx'), 0o755);
  return shims;
}

/** A fresh project folder in which 'tfjs-rnn' is this repository and `npx tfjs-rnn` its command. */
function makeProject(prefix: string): string {
  if (!existsSync(join(ROOT, 'dist', 'index.d.ts'))) throw new Error('dist/ is missing: run npm run build first');
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  mkdirSync(join(folder, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, join(folder, 'node_modules', 'tfjs-rnn'), 'dir');
  symlinkSync(join(ROOT, 'node_modules', '@tensorflow'), join(folder, 'node_modules', '@tensorflow'), 'dir');
  symlinkSync(join(ROOT, 'dist', 'cli', 'main.js'), join(folder, 'node_modules', '.bin', 'tfjs-rnn'));
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'docs-example', version: '1.0.0', private: true }));
  writeNpxShim(folder);
  return folder;
}

/**
 * The environment blocks run in, as a user's shell has it: without the variables `npm test` sets
 * for its scripts (the repository as npm's project), with the project's npx and bins and this
 * node first, and npm without its notices.
 */
function blockEnvironment(folder: string): NodeJS.ProcessEnv {
  const python = process.env.TFJS_RNN_PYTHON ? [dirname(process.env.TFJS_RNN_PYTHON)] : [];
  const path = [join(folder, '.doc-test-bin'), join(folder, 'node_modules', '.bin'), dirname(process.execPath), ...python, process.env.PATH ?? ''];
  const user = Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$)/i.test(name));
  return {
    ...Object.fromEntries(user),
    PATH: path.join(':'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

/** Runs a command for a block; returns its stdout, or throws naming the block with both streams. */
function runFor(block: DocBlock, folder: string, command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    cwd: folder,
    encoding: 'utf8',
    env: blockEnvironment(folder),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: RUN_TIMEOUT_MS,
  });
  if (result.status !== 0) {
    const why = result.error ? String(result.error) : result.signal ? `killed by ${result.signal}` : `exited ${result.status}`;
    const tail = (text: string | null): string => (text ?? '').slice(-4000).trimEnd();
    throw new Error(`${blockName(block)}: ${command} ${args.join(' ')} ${why}\n--- stdout\n${tail(result.stdout)}\n--- stderr\n${tail(result.stderr)}`);
  }
  return result.stdout;
}

// ---- TypeScript: one strict program for every ts block of every file ----

const TS_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  typeRoots: [join(ROOT, 'node_modules', '@types')],
  esModuleInterop: true,
  skipLibCheck: true,
};

let typeErrors: Map<DocBlock, string[]> | undefined;

/** Type-checks every ts block once; the errors of each block, as `file:line: message`. */
function typeErrorsOf(block: DocBlock): string[] {
  if (typeErrors === undefined) {
    const folder = makeProject('tfjs-rnn-docs-types-');
    const fileOf = new Map<string, DocBlock>();
    for (const doc of DOCS) {
      for (const tsBlock of doc.blocks.filter((b) => b.kind === 'ts')) {
        const path = join(folder, `${tsBlock.file.replace(/[^\w]/g, '_')}_${tsBlock.line}.mts`);
        writeFileSync(path, tsBlock.code);
        fileOf.set(path, tsBlock);
      }
    }
    const program = ts.createProgram([...fileOf.keys()], TS_OPTIONS);
    typeErrors = new Map([...fileOf.values()].map((b) => [b, []]));
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const owner = diagnostic.file && fileOf.get(resolve(diagnostic.file.fileName));
      if (!owner || diagnostic.start === undefined) throw new Error(`type-checking the documentation: TS${diagnostic.code}: ${message}`);
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
      typeErrors.get(owner)!.push(`${owner.file}:${owner.line + 1 + line}: TS${diagnostic.code}: ${message}`);
    }
  }
  return typeErrors.get(block) ?? [];
}

// ---- what each kind of block does ----

/** Throws unless `actual` prints the same numbers as `expected`, within the forward tolerance. */
function expectSameNumbers(block: DocBlock, actual: string, expected: string | undefined): void {
  if (expected === undefined) throw new Error(`${blockName(block)}: prints-as-above, but no block ran before it`);
  const difference = numbersDiffer(actual, expected, FORWARD_TOLERANCE);
  if (difference !== undefined) {
    throw new Error(`${blockName(block)} printed\n${actual}\nwhile the block above printed\n${expected}\n(${difference})`);
  }
}

/** `console` blocks: the commands after `$ ` (and their continuation lines); the rest is output. */
function consoleCommands(code: string): string {
  const commands: string[] = [];
  let continued = false;
  for (const line of code.split('\n')) {
    if (continued || line.startsWith('$ ')) {
      commands.push(continued ? line : line.slice(2));
      continued = line.endsWith('\\');
    }
  }
  return commands.join('\n') + '\n';
}

const PYTHON_FOR_SYNTAX = TORCH_PYTHON ?? '/usr/bin/python3';

/** Checks a block without running it: the parser of its language, or the type check for ts. */
function checkSyntax(block: DocBlock, folder: string, path: string): void {
  switch (block.kind) {
    case 'ts':
      return;
    case 'js':
      runFor(block, folder, process.execPath, ['--check', path]);
      return;
    case 'python':
      runFor(block, folder, PYTHON_FOR_SYNTAX, ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', path]);
      return;
    case 'sh':
    case 'console':
      runFor(block, folder, 'bash', ['-n', path]);
      return;
    case 'yaml': {
      // js-yaml is installed with jest (istanbul reads its config with it).
      const yaml = require('js-yaml') as { safeLoadAll?: (text: string) => unknown[]; loadAll: (text: string) => unknown[] };
      try {
        (yaml.safeLoadAll ?? yaml.loadAll)(block.code);
      } catch (error) {
        throw new Error(`${blockName(block)}: not valid YAML: ${(error as Error).message}`);
      }
      return;
    }
    case 'json':
      try {
        JSON.parse(block.code);
      } catch (error) {
        throw new Error(`${blockName(block)}: not valid JSON: ${(error as Error).message}`);
      }
      return;
    case 'text':
      return;
  }
}

/** The file a block is written to in its document's folder (its own name under `file NAME`). */
function pathFor(block: DocBlock, folder: string): string {
  if (block.marker?.kind === 'file') return join(folder, block.marker.name);
  const extension: Record<string, string> = {
    ts: '.mjs',
    js: /\brequire\(/.test(block.code) && !/^\s*(import|export)\s/m.test(block.code) ? '.cjs' : '.mjs',
    python: '.py',
    sh: '.sh',
    console: '.sh',
    yaml: '.yaml',
    json: '.json',
    text: '.txt',
  };
  return join(folder, `block-${block.line}${extension[block.kind]}`);
}

/** What a block runs as: ts is transpiled (its types were checked), console keeps its commands. */
function sourceOf(block: DocBlock): string {
  if (block.kind === 'ts' && block.marker?.kind !== 'file') {
    return ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  }
  return block.kind === 'console' ? consoleCommands(block.code) : block.code;
}

/** Runs a block in its document's folder; returns what it printed. */
function runBlock(block: DocBlock, folder: string, path: string): string {
  switch (block.kind) {
    case 'ts':
    case 'js':
      return runFor(block, folder, process.execPath, [path]);
    case 'python':
      if (TORCH_PYTHON === undefined) throw new Error(`${blockName(block)}: python3 with torch is needed under CI=true (apt-get install -y python3-torch)`);
      return runFor(block, folder, TORCH_PYTHON, [path]);
    case 'sh':
    case 'console':
      return runFor(block, folder, 'bash', ['-e', '-o', 'pipefail', path]);
    default:
      return '';
  }
}

// ---- the tests ----

test('the README gives the exact command .ci/run runs, in a block of its own', () => {
  const command = 'npm ci && npm test';
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').trim().split('\n');
  expect(ci[ci.length - 1]).toBe(command);
  const readme = DOCS.find((doc) => doc.file === 'README.md')!;
  expect(readme.blocks.filter((b) => b.kind === 'sh' && b.code.trim() === command)).toHaveLength(1);
});

for (const { file, blocks } of DOCS) {
  describe(file, () => {
    test(`${file}: every relative link leads to a file, and to a heading in it`, () => {
      const broken: string[] = [];
      for (const { line, path, anchor } of relativeLinksOf(readFileSync(join(ROOT, file), 'utf8'))) {
        const target = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), path);
        if (!existsSync(target)) broken.push(`${file}:${line}: ${path} does not exist`);
        else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${file}:${line}: ${path || file} has no heading #${anchor}`);
        }
      }
      expect(broken).toEqual([]);
    });

    const needsTorch = blocks.some((b) => b.kind === 'python' && b.marker?.kind !== 'syntax-only');
    const runs = !(needsTorch && TORCH_PYTHON === undefined && process.env.CI !== 'true');
    if (!runs) process.stderr.write(`note: python3 with torch not found; the blocks of ${file} are checked but not run\n`);
    let folder: string | undefined;
    let lastOutput: string | undefined;
    const folderOfDoc = (): string => (folder ??= makeProject('tfjs-rnn-docs-'));

    for (const block of blocks.filter((b) => b.kind !== 'text')) {
      const how = block.marker?.kind === 'syntax-only' ? ` syntax-only (${block.marker.reason})` : block.marker?.kind === 'file' ? ` file ${block.marker.name}` : '';
      const title = `${file}:${block.line} ${block.language}${how}`;
      const runnable = ['ts', 'js', 'python', 'sh', 'console'].includes(block.kind);
      const executes = runnable && (block.marker === undefined || block.marker.kind === 'prints-as-above');
      if (executes && !runs) test.skip(`${title}: run (needs python3 with torch)`, () => undefined);
      test(executes && !runs ? `${title}: checked` : title, () => {
        if (block.kind === 'ts') {
          const errors = typeErrorsOf(block);
          if (errors.length > 0) throw new Error(`${blockName(block)} does not type-check under strict:\n${errors.join('\n')}`);
        }
        const dir = folderOfDoc();
        const path = pathFor(block, dir);
        writeFileSync(path, sourceOf(block));
        if (!executes || !runs) {
          checkSyntax(block, dir, path);
          return;
        }
        const output = runBlock(block, dir, path);
        if (block.marker?.kind === 'prints-as-above') expectSameNumbers(block, output, lastOutput);
        lastOutput = output;
      }, RUN_TIMEOUT_MS + 60_000);
    }
  });
}
