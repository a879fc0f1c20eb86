// Run by pack.test.ts inside a user's project that installed the packed tarball next to its own
// @tensorflow/tfjs: PyTorch's numbers (fixtures.json, written by the test from fixtures/) through
// the installed package on wasm and cpu, each step loop, with tensors made by the user's `tf`.
// Prints one JSON object on stdout; warnings go to stderr, which the test reads too.
const tf = require('@tensorflow/tfjs');
const { readFileSync } = require('fs');
const rnn = require('tfjs-rnn');

const fixtures = JSON.parse(readFileSync('fixtures.json', 'utf8'));
const tensor = (stored) => tf.tensor(stored.data, stored.shape, 'float32');

/** What differs from PyTorch beyond the forward tolerance, one line per output. */
function problemsOf(actual, fixture) {
  const expected = { output: fixture.output, hN: fixture.h_n, ...(fixture.c_n && { cN: fixture.c_n }) };
  return Object.entries(expected).flatMap(([key, stored]) => {
    const wanted = tensor(stored);
    const comparison = rnn.compareTensors(actual[key], wanted, rnn.FORWARD_TOLERANCE);
    wanted.dispose();
    return comparison.ok ? [] : [rnn.describeComparison(key, comparison)];
  });
}

(async () => {
  const runs = [];
  for (const backend of ['wasm', 'cpu']) {
    await rnn.initBackend(backend);
    for (const fixture of fixtures) {
      const config = rnn.fromTorchArgs(fixture.config);
      for (const loop of ['auto', 'tensor', 'host']) {
        const before = tf.memory().numTensors;
        const manual = rnn.createManualModel(config, { loop });
        const stateDict = Object.fromEntries(Object.entries(fixture.state_dict).map(([name, stored]) => [name, tensor(stored)]));
        manual.loadStateDict(stateDict);
        tf.dispose(Object.values(stateDict));
        const layers = rnn.createLayersModel(config);
        rnn.copyManualToLayers(manual, layers);
        const input = tensor(fixture.input);
        const initial = fixture.c0 ? [tensor(fixture.h0), tensor(fixture.c0)] : fixture.h0 ? tensor(fixture.h0) : undefined;
        const [seqLen, batchSize] = config.batchFirst ? [input.shape[1], input.shape[0]] : [input.shape[0], input.shape[1]];
        const { engine } = manual.plan({ seqLen, batchSize });
        const problems = {};
        for (const [impl, model] of [['manual', manual], ['layers', layers]]) {
          const actual = model.forward(input, initial);
          problems[impl] = problemsOf(actual, fixture);
          tf.dispose(Object.values(actual));
        }
        tf.dispose([input, ...[].concat(initial ?? [])]);
        manual.dispose();
        layers.dispose();
        runs.push({ backend, fixture: fixture.name, loop, engine, problems, leaked: tf.memory().numTensors - before });
      }
    }
  }
  console.log(JSON.stringify({ tfjs: tf.version.tfjs, runs }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
