import { ArgumentError } from '../src/errors';
import { BACKEND_NAMES, BackendName } from '../src/backend';
import { Mode as Cell } from '../src/config';
import { CELLS, SHAPES } from './shapes';

/** Off the target backend, a (cell, shape, backend, mode) whose round of calls is predicted longer than this is left out unless --slow. */
export const SLOW_ROUND_MS = 40_000;

/** What `npm run bench -- [flags]` asked for. */
export interface BenchArgs {
  /** One JSON array on stdout instead of the tables. */
  json: boolean;
  /** Run the micro-benchmarks instead of the shape table. */
  micro: boolean;
  /** Indices into `SHAPES` (0-based; the command line counts from 1). */
  shapes: number[];
  /** Cells (modes) to measure, in `CELLS` order. */
  cells: Cell[];
  /** Backends to measure; all available when absent. */
  backends?: BackendName[];
  /** Timed calls per measurement; chosen from the time budget when absent. */
  runs?: number;
  /** Leave out the PyTorch column. */
  skipTorch: boolean;
  /** Leave out the throughput of `tfjs-rnn run` (measured with shape 1's model). */
  skipCli: boolean;
  /** Also measure what a round is predicted to take longer than `SLOW_ROUND_MS` for. */
  slow: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [flags]
  --json            one JSON array of measurements on stdout, nothing else
  --shapes 1,3      only these shapes (numbered from 1, as in the table; default all ${SHAPES.length})
  --cells LSTM,GRU  only these cells (default ${CELLS.join(',')})
  --backend wasm    only these backends (comma-separated; default every available one)
  --runs N          N timed calls per measurement (default: as many as fit a time budget, at most 9)
  --no-torch        leave out the PyTorch column
  --no-cli          leave out the throughput of 'tfjs-rnn run' and the memory of 'tfjs-rnn merge'
                    (measured when the RNN's shape 1 is, on the first backend other than cpu; needs
                    dist/ from npm run build)
  --slow            also measure rounds predicted over ${SLOW_ROUND_MS / 1000} s off wasm (the cpu backend's big shapes; adds many minutes)
  --micro           run the micro-benchmarks (bench/micro.ts) instead
  --help            this text`;

function list(flag: string, value: string | undefined): string[] {
  if (value === undefined || value === '' || value.startsWith('--')) {
    throw new ArgumentError(flag, 'a comma-separated list', value === undefined ? 'nothing' : `'${value}'`);
  }
  return value.split(',').map((item) => item.trim());
}

function shapeIndices(value: string | undefined): number[] {
  return list('--shapes', value).map((item) => {
    const number = Number(item);
    if (!Number.isInteger(number) || number < 1 || number > SHAPES.length) {
      throw new ArgumentError('--shapes', `shape numbers from 1 to ${SHAPES.length}`, `'${item}'`);
    }
    return number - 1;
  });
}

function cellNames(value: string | undefined): Cell[] {
  const items = list('--cells', value);
  for (const item of items) {
    if (!(CELLS as readonly string[]).includes(item)) throw new ArgumentError('--cells', `one of ${CELLS.join(', ')}`, `'${item}'`);
  }
  return CELLS.filter((cell) => items.includes(cell));
}

function backendNames(value: string | undefined): BackendName[] {
  return list('--backend', value).map((item) => {
    if (!(BACKEND_NAMES as readonly string[]).includes(item)) {
      throw new ArgumentError('--backend', `one of ${BACKEND_NAMES.join(', ')}`, `'${item}'`);
    }
    return item as BackendName;
  });
}

function runCount(value: string | undefined): number {
  const number = Number(value);
  if (value === undefined || !Number.isInteger(number) || number < 1) {
    throw new ArgumentError('--runs', 'a positive integer', value === undefined ? 'nothing' : `'${value}'`);
  }
  return number;
}

/** Parses the flags after `npm run bench --`; unknown flags throw `ArgumentError`. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    json: false,
    micro: false,
    shapes: SHAPES.map((_, index) => index),
    cells: [...CELLS],
    skipTorch: false,
    skipCli: false,
    slow: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--json':
        args.json = true;
        break;
      case '--micro':
        args.micro = true;
        break;
      case '--no-torch':
        args.skipTorch = true;
        break;
      case '--no-cli':
        args.skipCli = true;
        break;
      case '--slow':
        args.slow = true;
        break;
      case '--help':
        args.help = true;
        break;
      case '--shapes':
        args.shapes = shapeIndices(argv[++i]);
        break;
      case '--cells':
        args.cells = cellNames(argv[++i]);
        break;
      case '--backend':
        args.backends = backendNames(argv[++i]);
        break;
      case '--runs':
        args.runs = runCount(argv[++i]);
        break;
      default:
        throw new ArgumentError('flag', `one of --json, --shapes, --cells, --backend, --runs, --no-torch, --no-cli, --slow, --micro, --help`, `'${flag}'`);
    }
  }
  return args;
}
