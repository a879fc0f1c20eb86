/**
 * The example page: tfjs-rnn from its browser entry, as an application bundles it
 * (`import … from 'tfjs-rnn'`). It runs three seeded RNN scenarios (hand-written vs
 * tf.layers with the same random weights) and one PyTorch fixture (weights fetched as a
 * safetensors file and parsed from bytes), shows the largest differences, the time per call
 * and the backend, and plots the hidden-state traces of both implementations and PyTorch; then
 * continues two prompts with a character language model (its `torch.save` file parsed in the
 * page) by greedy generation, beside PyTorch's continuation.
 * `?backend=webgl` (or `cpu`) picks the backend, wasm by default; `?threads=2` the wasm
 * backend's threads (the page must be cross-origin isolated, as `npm run example:browser`
 * serves it); `?compare` also times the fixture on every backend registered in the page.
 */
import * as tf from '@tensorflow/tfjs';
import {
  FORWARD_TOLERANCE,
  LayersRNN,
  ManualRNN,
  ManualWholeModel,
  RecurrentModel,
  TorchRNNArgs,
  WholeModelSpec,
  compareArrays,
  copyManualToLayers,
  disposeKerasWeights,
  availableBackends,
  fromTorchArgs,
  generate,
  getThreadsCount,
  initBackend,
  parseStateDict,
  setWasmPaths,
  toTensors,
  torchToKeras,
} from 'tfjs-rnn';
// The scenarios are the example's data (seeds, shapes), shared with `npm run demo`; the library comes from the package.
import { SCENARIOS, Scenario } from '../../src/demo/scenarios';
import { BackendTime, ForwardValues, ImplementationRun, PageResults, PageStatus, StoredTensor } from './results';

/** The PyTorch case `build.ts` puts next to the page: `nn.RNN`'s arguments, the input, h0 and what PyTorch returned. */
interface FixtureCase {
  name: string;
  torch: string;
  config: TorchRNNArgs;
  input: StoredTensor;
  h0: StoredTensor | null;
  output: StoredTensor;
  h_n: StoredTensor;
}

/** The generation demo's case `build.ts` puts next to the page: the language model's spec, prompts and PyTorch's greedy continuation. */
interface LanguageModelCase {
  name: string;
  torch: string;
  /** The characters of ids 0, 1, …. */
  vocabulary: string;
  spec: WholeModelSpec;
  prompt: number[][];
  generated: number[][];
}

declare global {
  interface Window {
    tfjsRnn?: PageResults;
  }
}

/** Timed calls go on until this many milliseconds have passed (at least 3 calls, at most `MAX_CALLS`). */
const MIN_TIMING_MS = 100;
const MAX_CALLS = 50;
/** The plot shows these hidden units of sequence 0 over its first steps: enough to see each step, few enough to tell the lines apart. */
const PLOTTED_UNITS = 3;
const PLOTTED_STEPS = 60;
const COLORS = ['#0969da', '#bf3989', '#1a7f37', '#bc4c00'];

function setStatus(status: PageStatus): void {
  document.body.dataset.status = status;
}

/** An element with text or children. */
function element(tag: string, children: (Node | string)[] = [], className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function table(head: string[], rows: { cells: string[]; classes?: (string | undefined)[] }[]): HTMLElement {
  const header = element('tr', head.map((text) => element('th', [text])));
  const body = rows.map(({ cells, classes }) => element('tr', cells.map((text, i) => element('td', [text], classes?.[i]))));
  return element('table', [element('thead', [header]), element('tbody', body)]);
}

/** A difference for a table: `0` when the values are identical, else `3.58e-7`. */
function formatDifference(difference: number): string {
  return difference === 0 ? '0' : difference.toExponential(2);
}

/** The values of one forward pass, read back; the tensors are disposed. */
function valuesOf(result: ReturnType<RecurrentModel['forward']>): ForwardValues {
  const stored = (tensor: tf.Tensor): StoredTensor => ({ shape: tensor.shape, data: Array.from(tensor.dataSync()) });
  const values = { output: stored(result.output), hN: stored(result.hN) };
  tf.dispose(Object.values(result));
  return values;
}

/** `model` on `input`: its values (from a first call, also the warm-up) and the mean time of the calls after it. */
function runTimed(model: RecurrentModel, input: tf.Tensor, h0?: tf.Tensor): ImplementationRun {
  const values = valuesOf(model.forward(input, h0));
  let calls = 0;
  const start = performance.now();
  while (calls < MAX_CALLS && (calls < 3 || performance.now() - start < MIN_TIMING_MS)) {
    tf.dispose(Object.values(model.forward(input, h0)));
    calls++;
  }
  return { ...values, msPerCall: (performance.now() - start) / calls };
}

/** Largest difference between two runs' `output` and `hN`, and whether both are within the forward tolerance. */
function compareRuns(actual: ForwardValues, expected: ForwardValues) {
  const output = compareArrays(actual.output, expected.output, FORWARD_TOLERANCE);
  const hN = compareArrays(actual.hN, expected.hN, FORWARD_TOLERANCE);
  return { output: output.maxAbsDiff, hN: hN.maxAbsDiff, ok: output.ok && hN.ok };
}

/** A table row: the comparison's name, its largest differences, whether they are within tolerance, then `times`. */
function comparisonRow(name: string, comparison: ReturnType<typeof compareRuns>, times: string[]) {
  return {
    cells: [name, formatDifference(comparison.output), formatDifference(comparison.hN), comparison.ok ? 'yes' : 'NO', ...times],
    classes: [undefined, undefined, undefined, comparison.ok ? 'ok' : 'bad'],
  };
}

const TOLERANCE = `rtol ${FORWARD_TOLERANCE.rtol.toExponential()}, atol ${FORWARD_TOLERANCE.atol.toExponential()}`;

/** Both models in evaluation mode on `input` and `h0`, timed; then the models and tensors are disposed. */
function runBoth(manual: ManualRNN, layers: LayersRNN, input: tf.Tensor, h0?: tf.Tensor): { manual: ImplementationRun; layers: ImplementationRun } {
  try {
    manual.eval();
    layers.eval();
    return { manual: runTimed(manual, input, h0), layers: runTimed(layers, input, h0) };
  } finally {
    tf.dispose(h0 ? [input, h0] : [input]);
    manual.dispose();
    layers.dispose();
  }
}

/** A seeded scenario, as `npm run demo` runs it: random weights from the seed, copied into the twin. */
function runScenario(scenario: Scenario): PageResults['scenarios'][number] {
  const manual = new ManualRNN(scenario.config, { seed: scenario.seed });
  const layers = new LayersRNN(scenario.config);
  copyManualToLayers(manual, layers);
  const [batch] = scenario.inputShape;
  const input = tf.randomNormal(scenario.inputShape, 0, 1, 'float32', scenario.seed);
  const h0 = scenario.zeroH0 ? tf.zeros([1, batch, manual.config.hiddenSize]) : undefined;
  return { title: scenario.title, ...runBoth(manual, layers, input, h0) };
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** Both implementations with the fixture's PyTorch weights, fetched as a safetensors file. */
async function runFixture(fixture: FixtureCase): Promise<PageResults['fixture']> {
  const arrays = parseStateDict(await (await fetchOk('rnn.safetensors')).arrayBuffer(), 'safetensors', 'rnn.safetensors');
  return runFixtureWith(fixture, arrays);
}

/** Both implementations with the fixture's weights `arrays` on the active backend. */
function runFixtureWith(fixture: FixtureCase, arrays: ReturnType<typeof parseStateDict>): PageResults['fixture'] {
  const config = fromTorchArgs(fixture.config);
  const manual = new ManualRNN(config);
  const layers = new LayersRNN(config);
  const stateDict = toTensors(arrays);
  const kerasWeights = torchToKeras(stateDict, config);
  manual.loadStateDict(stateDict);
  layers.setKerasWeights(kerasWeights);
  disposeKerasWeights(kerasWeights);
  tf.dispose(Object.values(stateDict));
  const input = tf.tensor(fixture.input.data, fixture.input.shape);
  const h0 = fixture.h0 ? tf.tensor(fixture.h0.data, fixture.h0.shape) : undefined;
  return { name: fixture.name, ...runBoth(manual, layers, input, h0) };
}

/** `traces[unit][t]`: the first `units` units and `steps` steps of sequence 0 of an `output` (`[N, L, F]` batch-first, else `[L, N, F]`). */
function unitTraces({ shape, data }: StoredTensor, batchFirst: boolean, units: number, steps: number): number[][] {
  const [length, batch, features] = batchFirst ? [shape[1], shape[0], shape[2]] : shape;
  const at = (t: number, unit: number) => (batchFirst ? t * features : t * batch * features) + unit;
  return Array.from({ length: Math.min(units, features) }, (_, unit) => Array.from({ length: Math.min(steps, length) }, (_, t) => data[at(t, unit)]));
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attributes: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, String(value)));
  return node;
}

/**
 * The hidden state over time: the hand-written model's traces as wide coloured lines, the
 * twin's as thin dashed black lines on top, PyTorch's as dots at every step. Where they
 * coincide the dashes run inside the colour and the dots sit on it.
 */
function tracePlot(manual: number[][], layers: number[][], torch: number[][]): SVGElement {
  const [width, height, margin] = [960, 300, { left: 44, right: 10, top: 10, bottom: 28 }];
  const steps = manual[0].length;
  const all = [...manual, ...layers, ...torch].flat();
  const [low, high] = [Math.min(-1, ...all), Math.max(1, ...all)];
  const x = (t: number) => margin.left + (t / Math.max(steps - 1, 1)) * (width - margin.left - margin.right);
  const y = (value: number) => margin.top + ((high - value) / (high - low)) * (height - margin.top - margin.bottom);
  const path = (trace: number[]) => trace.map((value, t) => `${t === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(value).toFixed(1)}`).join('');
  const plot = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
  for (const value of [low, 0, high]) {
    plot.append(svg('line', { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value), stroke: '#d0d7de' }));
    const label = svg('text', { x: margin.left - 6, y: y(value) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#57606a' });
    label.textContent = String(+value.toFixed(2));
    plot.append(label);
  }
  for (let t = 0; t < steps; t += 10) {
    const tick = svg('text', { x: x(t), y: height - 10, 'text-anchor': 'middle', 'font-size': 11, fill: '#57606a' });
    tick.textContent = `t = ${t}`;
    plot.append(tick);
  }
  manual.forEach((trace, unit) => {
    plot.append(svg('path', { d: path(trace), fill: 'none', stroke: COLORS[unit % COLORS.length], 'stroke-width': 4, 'stroke-opacity': 0.45 }));
  });
  layers.forEach((trace) => plot.append(svg('path', { d: path(trace), fill: 'none', stroke: '#1b1f23', 'stroke-width': 1, 'stroke-dasharray': '4 3' })));
  torch.forEach((trace, unit) => trace.forEach((value, t) => plot.append(svg('circle', { cx: x(t), cy: y(value), r: 2.5, fill: COLORS[unit % COLORS.length] }))));
  return plot;
}

function legend(): HTMLElement {
  return element(
    'p',
    [
      element('span', ['wide colour: hand-written (ManualRNN), one colour per unit']),
      element('span', ['dashed black: tf.layers (LayersRNN)']),
      element('span', ['dots: PyTorch 1.13']),
    ],
    'legend note',
  );
}

function showFixture(fixture: FixtureCase, run: PageResults['fixture']): void {
  const torch = { output: fixture.output, hN: fixture.h_n };
  const { input_size, hidden_size } = fixture.config;
  const rows = [
    comparisonRow('hand-written vs PyTorch', compareRuns(run.manual, torch), [`${run.manual.msPerCall.toFixed(2)} (hand-written)`]),
    comparisonRow('tf.layers vs PyTorch', compareRuns(run.layers, torch), [`${run.layers.msPerCall.toFixed(2)} (tf.layers)`]),
    comparisonRow('hand-written vs tf.layers', compareRuns(run.manual, run.layers), ['']),
  ];
  const batchFirst = fixture.config.batch_first ?? false;
  const section = document.getElementById('fixture')!;
  section.replaceChildren(
    element('h2', [`PyTorch fixture ${fixture.name}: nn.RNN(${input_size}, ${hidden_size}), input [${fixture.input.shape.join(', ')}]${fixture.h0 ? ', h0 given' : ''}`]),
    element('p', [`Weights fetched as rnn.safetensors and parsed from bytes; expected values computed by PyTorch ${fixture.torch}. Tolerance: ${TOLERANCE}, PyTorch's own for float32.`], 'note'),
    table(['', 'max |diff| output', 'max |diff| h_n', 'within tolerance', 'ms per call'], rows),
    element('h2', [`Hidden state of sequence 0, units 0–${Math.min(PLOTTED_UNITS, hidden_size) - 1}, over its first ${PLOTTED_STEPS} steps`]),
    tracePlot(
      unitTraces(run.manual.output, batchFirst, PLOTTED_UNITS, PLOTTED_STEPS),
      unitTraces(run.layers.output, batchFirst, PLOTTED_UNITS, PLOTTED_STEPS),
      unitTraces(torch.output, batchFirst, PLOTTED_UNITS, PLOTTED_STEPS),
    ),
    legend(),
  );
}

/**
 * The fixture timed on every backend registered in the page, `first` (the active one, already
 * timed) first; the page ends on `first` again.
 */
async function timeEachBackend(fixture: FixtureCase, first: string, firstRun: PageResults['fixture']): Promise<BackendTime[]> {
  const arrays = parseStateDict(await (await fetchOk('rnn.safetensors')).arrayBuffer(), 'safetensors', 'rnn.safetensors');
  const times: BackendTime[] = [{ backend: first, manualMs: firstRun.manual.msPerCall, layersMs: firstRun.layers.msPerCall }];
  for (const backend of availableBackends().filter((name) => name !== first)) {
    await initBackend(backend);
    const run = runFixtureWith(fixture, arrays);
    times.push({ backend, manualMs: run.manual.msPerCall, layersMs: run.layers.msPerCall });
  }
  await initBackend(first);
  return times;
}

function showBackendTimes(fixture: FixtureCase, times: BackendTime[], threads: number): void {
  const label = (backend: string) => (backend === 'wasm' ? `wasm (${threads || 1} thread${threads > 1 ? 's' : ''})` : backend);
  document.getElementById('backends')!.replaceChildren(
    element('h2', [`Time per call of ${fixture.name} on each backend`]),
    element('p', ['Mean of the calls after a warm-up; the first row is the backend chosen above. GPU backends pay for a shader per op and step.'], 'note'),
    table(['backend', 'hand-written ms', 'tf.layers ms'], times.map(({ backend, manualMs, layersMs }) => ({ cells: [label(backend), manualMs.toFixed(2), layersMs.toFixed(2)] }))),
  );
}

/** Links to this page on every backend registered here and on wasm with 2 threads, and to the same run timing every backend. */
function showBackendChoice(active: string, threads: number): void {
  const current = active === 'wasm' && threads > 1 ? `?backend=wasm&threads=${threads}` : `?backend=${active}`;
  const choices = [...availableBackends().map((backend) => ({ text: backend, query: `?backend=${backend}` })), { text: 'wasm, 2 threads', query: '?backend=wasm&threads=2' }];
  const link = (text: string, query: string) => {
    const anchor = element('a', [text]) as HTMLAnchorElement;
    anchor.href = query;
    if (query === `${current}${location.search.includes('compare') ? '&compare' : ''}`) anchor.setAttribute('aria-current', 'page');
    return anchor;
  };
  document.getElementById('choice')!.replaceChildren(
    'Run on: ',
    ...choices.map(({ text, query }) => link(text, query)),
    ' · ',
    link('time every backend', `${current}&compare`),
  );
}

function showScenarios(runs: PageResults['scenarios']): void {
  const rows = runs.map((run) =>
    comparisonRow(run.title, compareRuns(run.manual, run.layers), [run.manual.msPerCall.toFixed(2), run.layers.msPerCall.toFixed(2)]),
  );
  document.getElementById('scenarios')!.replaceChildren(
    element('h2', ['Three seeded RNNs: hand-written vs tf.layers, same random weights']),
    table(['scenario', 'max |diff| output', 'max |diff| h_n', 'within tolerance', 'hand-written ms', 'tf.layers ms'], rows),
  );
}

/** Greedy continuation of the case's prompts (as many tokens as PyTorch's), timed over a few runs after the first. */
async function runGeneration(lm: LanguageModelCase): Promise<PageResults['generation']> {
  const stateDict = parseStateDict(await (await fetchOk(`${lm.name}.pt`)).arrayBuffer(), 'pt', { source: `${lm.name}.pt`, prefix: '' });
  const model = new ManualWholeModel(lm.spec, stateDict);
  const prompt = tf.tensor2d(lm.prompt, undefined, 'int32');
  const steps = lm.generated[0].length;
  try {
    const first = generate(model, prompt, { steps });
    const tokens = first.arraySync() as number[][];
    first.dispose();
    const runs = 5;
    const start = performance.now();
    for (let run = 0; run < runs; run++) generate(model, prompt, { steps }).dispose();
    return { name: lm.name, tokens, msPerToken: (performance.now() - start) / (runs * steps) };
  } finally {
    prompt.dispose();
    model.dispose();
  }
}

function showGeneration(lm: LanguageModelCase, run: PageResults['generation']): void {
  const text = (ids: number[]) => ids.map((id) => lm.vocabulary[id]).join('');
  const rows = lm.prompt.map((prompt, n) => {
    const same = run.tokens[n].every((id, t) => id === lm.generated[n][t]);
    return { cells: [JSON.stringify(text(prompt)), JSON.stringify(text(run.tokens[n])), JSON.stringify(text(lm.generated[n])), same ? 'yes' : 'NO'], classes: [undefined, undefined, undefined, same ? 'ok' : 'bad'] };
  });
  document.getElementById('generation')!.replaceChildren(
    element('h2', [`Text generation: the character LSTM language model ${lm.name}, greedy`]),
    element('p', [`Its torch.save file parsed in the page; each prompt read once, then one step per new token on the LSTM's state (${run.msPerToken.toFixed(3)} ms per token for both prompts). PyTorch ${lm.torch}'s continuation beside it.`], 'note'),
    table(['prompt', 'tfjs-rnn', 'PyTorch', 'same tokens'], rows),
  );
}

async function main(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const requested = query.get('backend') ?? 'wasm';
  const threadsParam = query.get('threads');
  // build.ts copies the three .wasm files next to this page; say so before the backend starts.
  setWasmPaths('./');
  const backend = await initBackend(requested, threadsParam === null ? {} : { threads: Number(threadsParam) });
  const onWasm = backend === 'wasm';
  const wasmSimd = onWasm && Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const wasmThreads = onWasm ? getThreadsCount() : 0;
  showBackendChoice(backend, wasmThreads);
  const details = onWasm ? ` (SIMD ${wasmSimd ? 'on' : 'off'}, ${wasmThreads} thread${wasmThreads > 1 ? 's' : ''})` : '';
  document.getElementById('backend')!.textContent = `Backend: ${backend}${details} · TensorFlow.js ${tf.version.tfjs} · ${navigator.userAgent.match(/(Headless)?Chrom(e|ium)\/[\d.]+/)?.[0] ?? navigator.userAgent}`;
  const fixture = (await (await fetchOk('fixture.json')).json()) as FixtureCase;
  const fixtureRun = await runFixture(fixture);
  showFixture(fixture, fixtureRun);
  const scenarios = SCENARIOS.map(runScenario);
  showScenarios(scenarios);
  const backendTimes = query.has('compare') ? await timeEachBackend(fixture, backend, fixtureRun) : [];
  if (backendTimes.length > 0) showBackendTimes(fixture, backendTimes, wasmThreads);
  const languageModel = (await (await fetchOk('char_lm.json')).json()) as LanguageModelCase;
  const generation = await runGeneration(languageModel);
  showGeneration(languageModel, generation);
  window.tfjsRnn = { backend, wasmSimd, wasmThreads, crossOriginIsolated: self.crossOriginIsolated, backendTimes, scenarios, fixture: fixtureRun, generation };
  setStatus('done');
}

main().catch((error: Error) => {
  document.getElementById('error')!.textContent = `${error.name}: ${error.message}`;
  setStatus('error');
  console.error(error);
});
