import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import { join, relative } from 'path';
import { batchGeometry, sliceRows } from '../../src/cli/batchRows';
import { getBackendName } from '../../src/backend';
import { fingerprintFile } from '../../src/cli/fingerprint';
import { shardRange } from '../../src/cli/shard';
import { RNNConfig } from '../../src/config';
import { HostArray, serializeNpy } from '../../src/formats';
import { listDir, makeTempDir, removeTempDir, runCli, sequenceArray, withScheduler, writeJson, writeModel, writeNpy } from './helpers';

/**
 * `tfjs-rnn merge`: the pieces of a run split n ways under `--shard auto` back into the bytes a
 * single run writes, streaming; and every refusal: exit 2, one line naming the piece (or the
 * missing one), nothing written.
 */

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

/** How `--shard auto` learns task i of n: a Kubernetes Indexed Job of 1, an AWS Batch array of 3, a Slurm array 1-16 of 16. */
const SCHEDULERS: Record<number, { shard: string; env: (i: number) => Record<string, string> }> = {
  1: { shard: 'auto/1', env: (i) => ({ JOB_COMPLETION_INDEX: `${i}` }) },
  3: { shard: 'auto', env: (i) => ({ AWS_BATCH_JOB_ARRAY_INDEX: `${i}`, AWS_BATCH_JOB_ARRAY_SIZE: '3' }) },
  4: { shard: 'auto/4', env: (i) => ({ JOB_COMPLETION_INDEX: `${i}` }) },
  16: {
    shard: 'auto',
    env: (i) => ({ SLURM_ARRAY_TASK_ID: `${i + 1}`, SLURM_ARRAY_TASK_COUNT: '16', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '16', SLURM_ARRAY_TASK_STEP: '1' }),
  },
};

/** Runs `tfjs-rnn run ...flags --shard auto` as each of the n tasks of a scheduler's array. */
async function runTasks(n: number, flags: string[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const result = await withScheduler(SCHEDULERS[n].env(i), () => runCli(['run', ...flags, '--shard', SCHEDULERS[n].shard]));
    expect(result).toEqual({ code: 0, stdout: '', stderr: expect.stringContaining(`; shard ${i}/${n}, rows`) });
  }
}

/** The `.npy` files of `directory`, as paths, last first (merge takes them in any order). */
async function piecesIn(directory: string): Promise<string[]> {
  return (await listDir(directory)).filter((name) => name.endsWith('.npy')).reverse().map((name) => join(directory, name));
}

function bytes(path: string): Promise<Buffer> {
  return fs.readFile(path);
}

it("an LSTM split 3 ways: run writes c_n's pieces with their records, merge puts output, h_n and c_n together byte for byte", async () => {
  const config: RNNConfig = { mode: 'LSTM', inputSize: 3, hiddenSize: 5, projSize: 2, numLayers: 2, batchFirst: true };
  const model = await writeModel(dir, config);
  const inputs = [
    '--input', await writeNpy(dir, 'x.npy', sequenceArray([7, 4, 3])),
    '--h0', await writeNpy(dir, 'h0.npy', sequenceArray([2, 7, 2], 3)),
    '--c0', await writeNpy(dir, 'c0.npy', sequenceArray([2, 7, 5], 4)),
  ];
  const flags = ['--workers', '1', '--weights', model.weights, '--config', model.config, ...inputs];
  const names = ['output', 'hn', 'cn'];
  expect((await runCli(['run', ...flags, ...names.flatMap((flag) => [`--${flag}`, join(dir, `single-${flag}.npy`)])])).code).toBe(0);
  const pieces = join(dir, 'pieces');
  await fs.mkdir(pieces);
  await runTasks(3, [...flags, ...names.flatMap((flag) => [`--${flag}`, join(pieces, `${flag}.npy`)])]);
  expect(await listDir(pieces)).toHaveLength(3 * 3 * 2);
  const merged = (await piecesIn(pieces));
  const result = await runCli(['merge', ...names.flatMap((flag) => [`--${flag}`, join(dir, `merged-${flag}.npy`)]), ...merged]);
  expect(result.code).toBe(0);
  for (const flag of names) expect(await bytes(join(dir, `merged-${flag}.npy`))).toEqual(await bytes(join(dir, `single-${flag}.npy`)));
});

describe.each<[string, RNNConfig, number[]]>([
  ['time-major, 2 layers, bidirectional, h0 and lengths (batch axis 1)', { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true }, [6, 37, 3]],
  ['batch_first, fewer sequences than shards: empty pieces (batch axis 0)', { inputSize: 3, hiddenSize: 4, batchFirst: true }, [10, 6, 3]],
])('%s', (_, config, shape) => {
  it.each([1, 3, 16])('%i pieces merge into the bytes of a single run', async (n) => {
    const model = await writeModel(dir, config);
    const [batch, steps] = config.batchFirst ? shape : [shape[1], shape[0]];
    const states = (config.numLayers ?? 1) * (config.bidirectional ? 2 : 1);
    const inputs = [
      '--input', await writeNpy(dir, 'x.npy', sequenceArray(shape)),
      '--h0', await writeNpy(dir, 'h0.npy', sequenceArray([states, batch, config.hiddenSize], 3)),
      '--lengths', await writeJson(dir, 'lengths.json', Array.from({ length: batch }, (_, i) => 1 + ((i * 7) % steps))),
    ];
    const flags = ['--workers', '1', '--batch-size', '4', '--weights', model.weights, '--config', model.config, ...inputs];
    expect((await runCli(['run', ...flags, '--output', join(dir, 'single.npy'), '--hn', join(dir, 'single-hn.npy')])).code).toBe(0);
    const pieces = join(dir, 'pieces');
    await fs.mkdir(pieces);
    await runTasks(n, [...flags, '--output', join(pieces, 'out.npy'), '--hn', join(pieces, 'hn.npy')]);
    expect(await listDir(pieces)).toHaveLength(4 * n);

    const merged = { output: join(dir, 'merged.npy'), hn: join(dir, 'merged-hn.npy') };
    const result = await runCli(['merge', '--output', merged.output, '--hn', merged.hn, ...(await piecesIn(pieces))]);
    const outputShape = config.batchFirst ? [batch, steps, config.hiddenSize] : [steps, batch, 2 * config.hiddenSize];
    const stateShape = [states, batch, config.hiddenSize];
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: `merged ${n} pieces of output into ${merged.output} [${outputShape.join(', ')}], ${n} pieces of h_n into ${merged.hn} [${stateShape.join(', ')}]\n`,
    });
    expect(await bytes(merged.output)).toEqual(await bytes(join(dir, 'single.npy')));
    expect(await bytes(merged.hn)).toEqual(await bytes(join(dir, 'single-hn.npy')));
  });
});

it('merges the one piece of an unbatched input (auto/1) into the bytes of a single run', async () => {
  const model = await writeModel(dir, { inputSize: 3, hiddenSize: 4, numLayers: 2 });
  const flags = ['--workers', '1', '--weights', model.weights, '--config', model.config, '--input', await writeNpy(dir, 'x.npy', sequenceArray([6, 3]))];
  expect((await runCli(['run', ...flags, '--output', join(dir, 'single.npy'), '--hn', join(dir, 'single-hn.npy')])).code).toBe(0);
  await runTasks(1, [...flags, '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')]);
  const pieces = [join(dir, 'out.shard-0000-of-0001.npy'), join(dir, 'hn.shard-0000-of-0001.npy')];
  expect((await runCli(['merge', '--output', join(dir, 'merged.npy'), '--hn', join(dir, 'merged-hn.npy'), ...pieces])).code).toBe(0);
  expect(await bytes(join(dir, 'merged.npy'))).toEqual(await bytes(join(dir, 'single.npy')));
  expect(await bytes(join(dir, 'merged-hn.npy'))).toEqual(await bytes(join(dir, 'single-hn.npy')));
});

/** Writes the piece at `path` (`.npy` float32) and its shard record, `record` overriding the fields. */
async function writePiece(path: string, array: HostArray, record: Record<string, unknown>): Promise<void> {
  await fs.writeFile(path, serializeNpy(array.shape, array.data));
  const computation = { impl: 'manual', backend: getBackendName(), loop: 'auto' };
  await fs.writeFile(`${path}.json`, JSON.stringify({ 'tfjs-rnn shard record': 2, shape: array.shape, inputs: {}, ...computation, piece: fingerprintFile(path), ...record }));
}

/** Writes `whole` cut into `count` pieces along `batchAxis`, named `name.shard-….npy`, as a run would; returns their paths. */
async function writePieces(name: string, arrayName: string, whole: HostArray, batchAxis: number, count: number): Promise<string[]> {
  const geometry = batchGeometry(whole.shape, batchAxis);
  const paths: string[] = [];
  for (let index = 0; index < count; index++) {
    const { start, end } = shardRange({ index, count }, geometry.batch);
    const shape = whole.shape.map((dim, axis) => (axis === batchAxis ? end - start : dim));
    const path = join(dir, `${name}.shard-${String(index).padStart(4, '0')}-of-${String(count).padStart(4, '0')}.npy`);
    await writePiece(path, { shape, data: sliceRows(whole.data, geometry, start, end) }, { array: arrayName, shard: { index, count }, batch: geometry.batch, batchAxis });
    paths.push(path);
  }
  return paths;
}

describe('streaming', () => {
  it.each([
    ['batch axis 0', [1000, 50, 100], 0],
    ['batch axis 1', [50, 1000, 100], 1],
  ])('concatenates pieces larger than its 16 MiB block (%s)', async (_, shape, batchAxis) => {
    const whole = sequenceArray(shape as number[]);
    const pieces = await writePieces('out', 'output', whole, batchAxis as number, 7);
    const result = await runCli(['merge', '--output', join(dir, 'merged.npy'), ...pieces]);
    expect(result.code).toBe(0);
    // Buffer.equals: toEqual walks 20 million indices as keys.
    expect((await bytes(join(dir, 'merged.npy'))).equals(serializeNpy(whole.shape, whole.data))).toBe(true);
  });

  it('merges the pieces of c_n with --cn, as of an LSTM run', async () => {
    const whole = sequenceArray([4, 9, 5]);
    const pieces = await writePieces('cn', 'c_n', whole, 1, 3);
    const result = await runCli(['merge', '--cn', join(dir, 'cn.npy'), ...pieces]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: `merged 3 pieces of c_n into ${join(dir, 'cn.npy')} [4, 9, 5]\n` });
    expect(new Uint8Array(await bytes(join(dir, 'cn.npy')))).toEqual(serializeNpy(whole.shape, whole.data));
  });
});

describe('merge refuses, exit 2 with one line, writing nothing', () => {
  /** Pieces of a run split 3 ways (`base`), 4 ways (`base/four`), and of a run over another input of the same shape (`base/other`). */
  let base: string;
  /** The flags of the runs of `base`, over its x.npy, writing to `out` and `hn` of `sub`. */
  let flags: (input: string, sub: string) => string[];
  const piece = (name: string, i: number, n = 3, sub = '') => join(base, sub, `${name}.shard-000${i}-of-000${n}.npy`);
  const all = (name: string) => [0, 1, 2].map((i) => piece(name, i));

  beforeAll(async () => {
    base = await makeTempDir();
    const model = await writeModel(base, { inputSize: 3, hiddenSize: 4 });
    flags = (input: string, sub: string) =>
      ['--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(base, sub, 'out.npy'), '--hn', join(base, sub, 'hn.npy')];
    await fs.mkdir(join(base, 'four'));
    await fs.mkdir(join(base, 'other'));
    await runTasks(3, flags(await writeNpy(base, 'x.npy', sequenceArray([6, 7, 3])), ''));
    await runTasks(4, flags(join(base, 'x.npy'), 'four'));
    await runTasks(3, flags(await writeNpy(base, 'y.npy', sequenceArray([6, 7, 3], 2)), 'other'));
  });

  afterAll(async () => {
    await removeTempDir(base);
  });

  /** Runs `argv`: exit 2, `message` the only line on stderr (`usage`: then the usage), and no file added or changed. */
  async function expectRefused(argv: string[], message: string | RegExp, usage = false): Promise<void> {
    const before = [await listDir(dir), await listDir(base)];
    const { code, stdout, stderr } = await runCli(argv);
    const [first, ...rest] = stderr.trimEnd().split('\n');
    expect({ code, stdout, first, more: rest.length > 0 }).toEqual({ code: 2, stdout: '', first: typeof message === 'string' ? message : expect.stringMatching(message), more: usage });
    if (usage) expect(rest[0]).toBe('Usage: tfjs-rnn merge [--output OUT] [--hn HN] [--cn CN] PIECE...');
    expect([await listDir(dir), await listDir(base)]).toEqual(before);
  }

  /** Copies piece `from` to `dir/name`, its record edited by `edit`; returns the copy's path. */
  async function copyPiece(from: string, name: string, edit: (record: Record<string, unknown>) => void = () => undefined): Promise<string> {
    const to = join(dir, name);
    await fs.copyFile(from, to);
    const record = JSON.parse(await fs.readFile(`${from}.json`, 'utf8'));
    edit(record);
    await fs.writeFile(`${to}.json`, JSON.stringify(record));
    return to;
  }

  const merged = () => join(dir, 'merged.npy');

  it('a missing piece, named as its file would be', async () => {
    await expectRefused(['merge', '--output', merged(), piece('out', 0), piece('out', 2)], `tfjs-rnn merge: ${piece('out', 1)}: expected the piece of output shard 1 of 3 among the pieces, got none`);
    await expectRefused(['merge', '--output', merged(), piece('out', 1)], `tfjs-rnn merge: ${piece('out', 0)}: expected the piece of output shard 0 of 3 among the pieces, got none (nor for shards 2)`);
  });

  it('a missing piece whose name does not carry its shard', async () => {
    const renamed = await copyPiece(piece('out', 0), 'first.npy');
    await expectRefused(['merge', '--output', merged(), renamed, piece('out', 2)], 'tfjs-rnn merge: output shard 1: expected the piece of output shard 1 of 3 among the pieces, got none');
  });

  it('a duplicate piece: the same file twice, or a copy', async () => {
    await expectRefused(['merge', '--output', merged(), ...all('out'), piece('out', 1)], `tfjs-rnn merge: ${piece('out', 1)}: expected one piece per shard, got shard 1 of 3 again, as ${piece('out', 1)}`);
    const copy = await copyPiece(piece('out', 1), 'copy.npy');
    await expectRefused(['merge', '--output', merged(), ...all('out'), copy], `tfjs-rnn merge: ${copy}: expected one piece per shard, got shard 1 of 3 again, as ${piece('out', 1)}`);
  });

  it('a piece of a run split another number of ways', async () => {
    const four = piece('out', 3, 4, 'four');
    await expectRefused(['merge', '--output', merged(), ...all('out'), four], `tfjs-rnn merge: ${four}: expected a shard of 3, as ${piece('out', 0)} (one run), got shard 3 of 4`);
  });

  it('a piece of a run over another input', async () => {
    const other = piece('out', 1, 3, 'other');
    await expectRefused(
      ['merge', '--output', merged(), piece('out', 0), other, piece('out', 2)],
      new RegExp(`^tfjs-rnn merge: ${other}: expected the --input of ${piece('out', 0)} \\(one run\\): 632 bytes, sha256 [0-9a-f]{16}…, got 632 bytes, sha256 [0-9a-f]{16}…$`),
    );
  });

  it('a piece computed another way: --impl layers, or another --loop', async () => {
    const layers = join(dir, 'out.shard-0001-of-0003.npy');
    const run = () => runCli(['run', ...flags(join(base, 'x.npy'), relative(base, dir)), '--impl', 'layers', '--shard', 'auto']);
    expect((await withScheduler(SCHEDULERS[3].env(1), run)).code).toBe(0);
    const computed = (impl: string, loop = 'auto') => `--impl ${impl}, backend ${getBackendName()}, --loop ${loop}`;
    await expectRefused(
      ['merge', '--output', merged(), piece('out', 0), layers, piece('out', 2)],
      `tfjs-rnn merge: ${layers}: expected a piece computed as ${piece('out', 0)} (one run): ${computed('manual')}, got ${computed('layers')}`,
    );
    const loop = await copyPiece(piece('out', 1), 'loop.npy', (record) => (record.loop = 'tensor'));
    await expectRefused(['merge', '--output', merged(), piece('out', 0), loop, piece('out', 2)], `tfjs-rnn merge: ${loop}: expected a piece computed as ${piece('out', 0)} (one run): ${computed('manual')}, got ${computed('manual', 'tensor')}`);
  });

  it('two pieces of the same shape swapped on disk, or a piece changed since its run', async () => {
    // Shards 0 and 1 of 7 sequences are rows [0, 2) and [2, 4): pieces of one shape.
    const [first, second] = [join(dir, 'out.shard-0000-of-0003.npy'), join(dir, 'out.shard-0001-of-0003.npy')];
    await fs.copyFile(piece('out', 1), first);
    await fs.copyFile(`${piece('out', 0)}.json`, `${first}.json`);
    await fs.copyFile(piece('out', 0), second);
    await fs.copyFile(`${piece('out', 1)}.json`, `${second}.json`);
    const fingerprint = '\\d+ bytes, sha256 [0-9a-f]{16}…';
    await expectRefused(
      ['merge', '--output', merged(), first, second, piece('out', 2)],
      new RegExp(`^tfjs-rnn merge: ${first}: expected the piece its record ${first}\\.json describes \\(output shard 0 of 3\\): ${fingerprint}, got ${fingerprint} \\(another file, or changed since its run\\)$`),
    );
    const changed = await copyPiece(piece('out', 2), 'changed.npy');
    const handle = await fs.open(changed, 'r+');
    await handle.write(Buffer.from([1]), 0, 1, 200);
    await handle.close();
    await expectRefused(['merge', '--output', merged(), piece('out', 0), piece('out', 1), changed], new RegExp(`^tfjs-rnn merge: ${changed}: expected the piece its record`));
  });

  it('a record that is a FIFO, a link to /dev/zero, or far too large: at once, naming it', async () => {
    const fifo = await copyPiece(piece('out', 1), 'fifo.npy');
    await fs.rm(`${fifo}.json`);
    execFileSync('mkfifo', [`${fifo}.json`]);
    await expectRefused(['merge', '--output', merged(), fifo], `tfjs-rnn merge: ${fifo}.json: expected a regular file, got a FIFO (named pipe)`);
    const zero = await copyPiece(piece('out', 1), 'zero.npy');
    await fs.rm(`${zero}.json`);
    await fs.symlink('/dev/zero', `${zero}.json`);
    await expectRefused(['merge', '--output', merged(), zero], `tfjs-rnn merge: ${zero}.json: expected a regular file, got a character device`);
    const huge = await copyPiece(piece('out', 1), 'huge.npy');
    await fs.truncate(`${huge}.json`, 1.5 * 2 ** 30); // Sparse: no disk used.
    await expectRefused(['merge', '--output', merged(), huge], `tfjs-rnn merge: ${huge}.json: expected a file of at most 64 KiB (65536 bytes), got ${1.5 * 2 ** 30} bytes`);
  });

  it('a piece of a run over another number of sequences', async () => {
    const tampered = await copyPiece(piece('out', 1), 'out.shard-0001-of-0003.npy', (record) => (record.batch = 8));
    await expectRefused(['merge', '--output', merged(), piece('out', 0), tampered, piece('out', 2)], `tfjs-rnn merge: ${tampered}: expected a shard of 7 sequences, as ${piece('out', 0)} (one run), got 8`);
  });

  it('a piece on another batch axis, or of a shape its rows do not have', async () => {
    const axis = await copyPiece(piece('out', 1), 'axis.npy', (record) => (record.batchAxis = 0));
    await expectRefused(['merge', '--output', merged(), piece('out', 0), axis, piece('out', 2)], `tfjs-rnn merge: ${axis}: expected batch axis 1, as ${piece('out', 0)}, got 0`);
    const wide = join(dir, 'wide.npy');
    const { inputs } = JSON.parse(await fs.readFile(`${piece('out', 1)}.json`, 'utf8'));
    await writePiece(wide, sequenceArray([6, 2, 5]), { array: 'output', shard: { index: 1, count: 3 }, batch: 7, batchAxis: 1, inputs });
    await expectRefused(['merge', '--output', merged(), piece('out', 0), wide, piece('out', 2)], `tfjs-rnn merge: ${wide}: expected shape [6, 2, 4] (shard 1 of 3: rows [2, 4) of 7), got [6, 2, 5]`);
  });

  it("a piece whose shape is not its record's, or not float32", async () => {
    const reshaped = await copyPiece(piece('out', 1), 'reshaped.npy', (record) => (record.shape = [6, 3, 4]));
    await expectRefused(['merge', '--output', merged(), reshaped], `tfjs-rnn merge: ${reshaped}: expected shape [6, 3, 4], as its record ${reshaped}.json says, got [6, 2, 4]`);
    const double = join(dir, 'double.npy');
    await fs.writeFile(double, serializeNpy([6, 2, 4], new Float64Array(48), 'float64'));
    await fs.copyFile(`${piece('out', 1)}.json`, `${double}.json`);
    await expectRefused(['merge', '--output', merged(), double], `tfjs-rnn merge: ${double}: expected dtype float32 ('<f4'), got '<f8'`);
  });

  it('a piece without its record, or with a record that is not one', async () => {
    const bare = join(dir, 'bare.npy');
    await fs.copyFile(piece('out', 1), bare);
    await expectRefused(['merge', '--output', merged(), bare], `tfjs-rnn merge: ${bare}.json: expected the shard record tfjs-rnn run --shard writes beside ${bare}, got no such file`);
    await fs.writeFile(`${bare}.json`, '{"tfjs-rnn shard record": 1,');
    await expectRefused(['merge', '--output', merged(), bare], new RegExp(`^tfjs-rnn merge: ${bare}\\.json: expected the shard record tfjs-rnn run --shard writes beside ${bare}, got .*JSON`));
    await fs.writeFile(`${bare}.json`, '{"tfjs-rnn shard record": 1}');
    await expectRefused(['merge', '--output', merged(), bare], `tfjs-rnn merge: ${bare}.json: expected a shard record ({"tfjs-rnn shard record": 2, …}), got "tfjs-rnn shard record": 1`);
    const cases: Array<[string, unknown, string]> = [
      ['array', 'hn', 'one of output, h_n, c_n'],
      ['shard', { index: 3, count: 3 }, '{"index": i, "count": n} with 0 <= i < n'],
      ['batch', 0, 'a positive integer'],
      ['shape', [6, -2, 4], 'a list of non-negative integers'],
      ['batchAxis', 3, 'an axis of shape, or null for one unbatched sequence in one shard'],
      ['batchAxis', null, 'an axis of shape, or null for one unbatched sequence in one shard'],
      ['inputs', undefined, 'an object of file fingerprints by flag'],
      ['impl', 'torch', 'one of manual, layers'],
      ['backend', undefined, 'one of tensorflow, wasm, cpu'],
      ['loop', 'fast', 'one of auto, host, tensor'],
      ['piece', { bytes: 3 }, 'the fingerprint of the piece'],
    ];
    for (const [field, value, expected] of cases) {
      const edited = await copyPiece(piece('out', 1), `${field}.npy`, (record) => (record[field] = value));
      await expectRefused(['merge', '--output', merged(), edited], `tfjs-rnn merge: ${edited}.json: ${field}: expected ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`);
    }
  });

  it('a piece of an array no flag asks for, and a flag with no pieces', async () => {
    await expectRefused(['merge', '--output', merged(), ...all('out'), ...all('hn')], `tfjs-rnn merge: ${piece('hn', 0)}: expected a piece of output, got a piece of h_n (give --hn to merge it)`);
    await expectRefused(['merge', '--output', merged(), '--hn', join(dir, 'hn.npy'), ...all('out')], 'tfjs-rnn merge: --hn: expected pieces of h_n among PIECE..., got none');
  });

  it('an output that is one of the pieces, or not .npy; a piece that is not .npy or not there', async () => {
    await expectRefused(['merge', '--output', piece('out', 0), ...all('out')], `tfjs-rnn merge: --output ${piece('out', 0)}: expected a file that is not an input, got the same file as PIECE ${piece('out', 0)}`);
    await expectRefused(['merge', '--output', join(dir, 'merged.json'), ...all('out')], `tfjs-rnn merge: ${join(dir, 'merged.json')}: expected a file ending in .npy, got '.json'`);
    await expectRefused(['merge', '--output', merged(), `${piece('out', 0)}.json`], `tfjs-rnn merge: ${piece('out', 0)}.json: expected a file ending in .npy, got '.json'`);
    await expectRefused(['merge', '--output', merged(), join(dir, 'gone.npy')], `tfjs-rnn merge: ${join(dir, 'gone.npy')}: expected a readable file, got no such file`);
  });

  it('no pieces, or no output, with the usage', async () => {
    await expectRefused(['merge', '--output', merged()], 'tfjs-rnn merge: arguments: expected PIECE..., got none', true);
    await expectRefused(['merge', ...all('out')], 'tfjs-rnn merge: --output, --hn or --cn: expected the file to merge the pieces into, got none', true);
  });
});
