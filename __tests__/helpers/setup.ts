import * as tf from '@tensorflow/tfjs-core';

// Runs before each test file (jest `setupFiles`). tfjs prints notices through console.warn
// (the cpu backend's "install our node backend" on its first tensor in Node), which jest shows
// with a stack trace once per test file. Production mode turns off tfjs's notices and nothing
// else, as the CLI does; errors still throw.
tf.enableProdMode();
