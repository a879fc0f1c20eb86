import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, RNNConfig, checkConfig, parameterSpecs } from '../config';
import { ArgumentError } from '../errors';
import {
  ForwardOptions,
  Lifecycle,
  RNNOutput,
  RecurrentModel,
  batchedInitialState,
  checkInitialState,
  checkInput,
  checkLengths,
  finalState,
  fromTimeMajor,
  toTimeMajor,
} from '../shapes';
import { STEP_LOOPS, StepLoop } from './hostLoop';
import { initParameters } from './parameters';
import { runLayers } from './stack';
import { assignStateDict } from './stateDict';

export interface ManualRNNOptions {
  /** Seed of the default initialisation; random when absent. */
  seed?: number;
  /**
   * How the forward recurrence runs its steps: `'host'` on typed arrays, `'tensor'` on the
   * backend (as tf ops, or wasm's kernels called directly), `'auto'` whichever is faster:
   * the backend on wasm, the host on cpu, elsewhere the host for steps smaller than
   * `HOST_LOOP_MAX_MULTIPLY_ADDS` (`N·H·H`). Both give PyTorch's numbers; the gradient is the
   * same either way.
   * @default 'auto'
   */
  loop?: StepLoop;
}

/**
 * PyTorch's `nn.RNN`, written out:
 * `h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)` for every layer and direction, the
 * input projection as one matMul, the steps as tf ops or on host arrays (`loop`).
 * Parameters are `tf.Variable`s named and shaped as in PyTorch's `state_dict`.
 */
export class ManualRNN implements RecurrentModel {
  readonly config: FullRNNConfig;
  training = true;
  /** How the forward recurrence runs its steps (see `ManualRNNOptions.loop`). */
  readonly loop: StepLoop;
  private readonly parameters: Map<string, tf.Variable>;
  private readonly lifecycle = new Lifecycle('model', 'ManualRNN');

  constructor(config: RNNConfig, options: ManualRNNOptions = {}) {
    this.config = checkConfig(config);
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ArgumentError('seed', 'an integer', String(options.seed));
    }
    const loop = options.loop ?? 'auto';
    if (!STEP_LOOPS.includes(loop)) {
      throw new ArgumentError('loop', `one of ${STEP_LOOPS.map((name) => `'${name}'`).join(', ')}`, `'${loop}'`);
    }
    this.loop = loop;
    this.parameters = initParameters(parameterSpecs(this.config), this.config.hiddenSize, options.seed);
  }

  /** Sets training mode (dropout between layers on), as PyTorch's `module.train(mode)`. */
  train(mode = true): this {
    this.lifecycle.check();
    this.training = mode;
    return this;
  }

  /** Sets evaluation mode, as PyTorch's `module.eval()`. */
  eval(): this {
    return this.train(false);
  }

  /** The parameters keyed by PyTorch's names, in PyTorch's order; owned by this model. */
  namedParameters(): Map<string, tf.Variable> {
    this.lifecycle.check();
    return new Map(this.parameters);
  }

  /** The parameters as a PyTorch-style `state_dict`; the tensors are owned by this model. */
  stateDict(): Record<string, tf.Tensor> {
    this.lifecycle.check();
    return Object.fromEntries(this.parameters);
  }

  /**
   * Copies parameters in, as PyTorch's `load_state_dict(strict=True)`: every key must be
   * present with its shape, and no other key; all problems are reported in one `WeightsError`.
   * Every entry must be a live float32 tf.Tensor; nothing is assigned unless all pass.
   */
  loadStateDict(stateDict: Record<string, tf.Tensor>): void {
    this.lifecycle.check();
    assignStateDict(this.parameters, stateDict, this.config);
  }

  /** The parameters as one list, in PyTorch's order, for an optimizer; owned by this model. */
  trainableVariables(): tf.Variable[] {
    this.lifecycle.check();
    return [...this.parameters.values()];
  }

  forward(input: tf.Tensor, h0?: tf.Tensor, options?: ForwardOptions): RNNOutput {
    this.lifecycle.check();
    const layout = checkInput(this.config, input);
    checkInitialState(this.config, layout, h0);
    const lengths = checkLengths(layout, options?.lengths);
    return tf.tidy(() => {
      const { output, hN } = runLayers(
        this.config,
        this.parameters,
        toTimeMajor(this.config, layout, input),
        batchedInitialState(this.config, layout, h0),
        { training: this.training, lengths, loop: this.loop },
      );
      return { output: fromTimeMajor(this.config, layout, output), hN: finalState(layout, hN) };
    });
  }

  /** Frees the parameters; every other method throws afterwards, and `dispose()` again does nothing. */
  dispose(): void {
    this.lifecycle.end(() => this.parameters.forEach((variable) => variable.dispose()));
  }
}
