/**
 * `npm run bench:generation`: greedy text generation at batch 1, tokens per second, beside
 * PyTorch's own loop over `model(x_t, state)` (bench/torch_generation.py, one thread). Models:
 * the char LSTM LM of fixtures/models/char_lm (V 12, E 8, H 16, 2 layers) and a bigger LSTM LM
 * (V 256, E 64, H 256, 1 layer; random weights: the loop's cost does not depend on them).
 * Each is timed with `generate` over a prompt of 8 ids for 16 and 272 new tokens; the cost
 * per token is the difference over the 256 extra tokens (the setup and the prompt cancel out),
 * median over the rounds after one warm-up round. PyTorch runs after the tfjs measurements on
 * a shared machine: compare the ratio printed within one run, not numbers across runs.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { HostArray, ManualWholeModel, WholeModelSpec, availableBackends, generate, initBackend, loadStateDict } from '../src';
import { median } from './timing';
import { PYTHON } from './torch';

const PROMPT_LENGTH = 8;
const STEPS = [16, 272] as const;
const ROUNDS = 5;
const CHAR_LM = path.join(__dirname, '..', 'fixtures', 'models', 'char_lm');

interface LanguageModelCase {
  name: string;
  mode: 'LSTM';
  recurrentName: string;
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
  /** A state_dict file, or random weights. */
  weights: string | null;
}

const CASES: LanguageModelCase[] = [
  { name: 'char_lm (V 12, E 8, H 16, 2 layers)', mode: 'LSTM', recurrentName: 'lstm', vocab: 12, embed: 8, hidden: 16, layers: 2, weights: path.join(CHAR_LM, 'model.pt') },
  { name: 'LSTM LM (V 256, E 64, H 256)', mode: 'LSTM', recurrentName: 'lstm', vocab: 256, embed: 64, hidden: 256, layers: 1, weights: null },
];

const SPEC = (recurrentName: string): WholeModelSpec => ({
  batch_first: true,
  layers: [
    { type: 'Embedding', name: 'embedding' },
    { type: 'LSTM', name: recurrentName },
    { type: 'Linear', name: 'fc' },
  ],
});

/** Uniform values in [−0.1, 0.1) from a small linear congruential generator (timing only). */
function randomArray(shape: number[], seed: number): HostArray {
  let state = seed >>> 0;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) / 5;
  });
  return { shape, data };
}

/** The state_dict of a random `Embedding → LSTM → Linear` of `spec`'s sizes (one layer). */
function randomStateDict(spec: LanguageModelCase): Record<string, HostArray> {
  const gates = 4 * spec.hidden;
  return {
    'embedding.weight': randomArray([spec.vocab, spec.embed], 1),
    [`${spec.recurrentName}.weight_ih_l0`]: randomArray([gates, spec.embed], 2),
    [`${spec.recurrentName}.weight_hh_l0`]: randomArray([gates, spec.hidden], 3),
    [`${spec.recurrentName}.bias_ih_l0`]: randomArray([gates], 4),
    [`${spec.recurrentName}.bias_hh_l0`]: randomArray([gates], 5),
    'fc.weight': randomArray([spec.vocab, spec.hidden], 6),
    'fc.bias': randomArray([spec.vocab], 7),
  };
}

interface Timing {
  msShort: number;
  msLong: number;
  usPerToken: number;
}

function timeGenerate(model: ManualWholeModel, vocab: number): Timing {
  const prompt = tf.tensor2d([Array.from({ length: PROMPT_LENGTH }, (_, i) => (i * 7) % vocab)], undefined, 'int32');
  const samples: Record<number, number[]> = { [STEPS[0]]: [], [STEPS[1]]: [] };
  for (let round = 0; round <= ROUNDS; round++) {
    for (const steps of STEPS) {
      const start = performance.now();
      generate(model, prompt, { steps }).dispose();
      if (round > 0) samples[steps].push(performance.now() - start);
    }
  }
  prompt.dispose();
  const [msShort, msLong] = STEPS.map((steps) => median(samples[steps]));
  return { msShort, msLong, usPerToken: ((msLong - msShort) / (STEPS[1] - STEPS[0])) * 1000 };
}

function runTorch(): { records: ({ name: string } & Timing)[]; torch?: string; note?: string } {
  const request = { models: CASES, promptLength: PROMPT_LENGTH, steps: STEPS, rounds: ROUNDS };
  const result = spawnSync(PYTHON, [path.join(__dirname, 'torch_generation.py'), JSON.stringify(request)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.error || result.status !== 0) return { records: [], note: `PyTorch column skipped: torch_generation.py failed (${result.error?.message ?? `exit ${result.status}`})` };
  const answer = JSON.parse(result.stdout) as { available: boolean; reason?: string; torch?: string; records?: ({ name: string } & Timing)[] };
  if (!answer.available || !answer.records) return { records: [], note: `PyTorch column skipped: ${answer.reason}` };
  return { records: answer.records, torch: answer.torch };
}

async function main(): Promise<void> {
  const backends = process.argv.includes('--backend') ? [process.argv[process.argv.indexOf('--backend') + 1]] : availableBackends();
  const rows: { name: string; backend: string; timing: Timing }[] = [];
  for (const backend of backends) {
    await initBackend(backend as Parameters<typeof initBackend>[0]);
    for (const spec of CASES) {
      const stateDict = spec.weights === null ? randomStateDict(spec) : await loadStateDict(spec.weights, { prefix: '' });
      const model = new ManualWholeModel(SPEC(spec.recurrentName), stateDict);
      const before = tf.memory().numTensors;
      rows.push({ name: spec.name, backend, timing: timeGenerate(model, spec.vocab) });
      if (tf.memory().numTensors !== before) throw new Error(`${spec.name} on ${backend}: ${tf.memory().numTensors - before} tensors leaked`);
      model.dispose();
    }
  }
  const torch = runTorch();
  console.log(`greedy generation at batch 1: prompt ${PROMPT_LENGTH}, ${STEPS[0]} and ${STEPS[1]} new tokens, median of ${ROUNDS} rounds`);
  console.log('model | backend | setup+prompt+16 ms | µs/token | tokens/s | PyTorch µs/token | PyTorch tokens/s | tfjs-rnn ÷ PyTorch time');
  for (const { name, backend, timing } of rows) {
    const reference = torch.records.find((record) => record.name === name);
    const cells = [name, backend, timing.msShort.toFixed(2), timing.usPerToken.toFixed(1), Math.round(1e6 / timing.usPerToken).toString()];
    if (reference) cells.push(reference.usPerToken.toFixed(1), Math.round(1e6 / reference.usPerToken).toString(), (timing.usPerToken / reference.usPerToken).toFixed(2));
    console.log(cells.join(' | '));
  }
  if (torch.note) console.log(torch.note);
  else console.log(`PyTorch ${torch.torch}, one thread, after the tfjs measurements`);
}

void main();
