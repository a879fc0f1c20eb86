import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../errors';

/**
 * Whether an object that owns tensors was disposed. Every method calls `check()` first, so
 * a disposed model or stream throws a typed error instead of a `TypeError` (or reviving);
 * `end(free)` frees the tensors the first time only, so a second `dispose()` is harmless.
 */
export class Lifecycle {
  private disposed = false;

  /**
   * @param argument what the error names, e.g. `model`.
   * @param className what was expected, e.g. `ManualRNN`.
   */
  constructor(
    private readonly argument: string,
    private readonly className: string,
  ) {}

  /** Throws `${argument}: expected a ${className} that was not disposed, got a disposed one` after `end`. */
  check(): void {
    if (this.disposed) throw new ArgumentError(this.argument, `a ${this.className} that was not disposed`, 'a disposed one');
  }

  /**
   * `check()`, then an `ArgumentError` naming the first of `parameters` (name, tensor) the
   * caller disposed (a tensor from `trainableVariables()` or `stateDict()`), before any work.
   * A map is walked without making an object (a streamed step calls this every time).
   */
  checkParameters(parameters: ReadonlyMap<string, tf.Tensor> | ReadonlyArray<readonly [string, tf.Tensor]>): void {
    this.check();
    if (parameters instanceof Map) parameters.forEach(throwIfDisposed, this);
    else for (const [name, tensor] of parameters as ReadonlyArray<readonly [string, tf.Tensor]>) throwIfDisposed.call(this, tensor, name);
  }

  /** The error for parameter `name`, disposed by the caller. */
  disposedParameter(name: string, tensor: tf.Tensor): ArgumentError {
    return new ArgumentError(name, `a live parameter of the ${this.className} (dispose the model, not its parameters)`, describeValue(tensor));
  }

  /** Runs `free` unless this already ended, and ends it. */
  end(free: () => void): void {
    if (this.disposed) return;
    this.disposed = true;
    free();
  }
}

/** `checkParameters`' test of one parameter, with the lifecycle as `this`. */
function throwIfDisposed(this: Lifecycle, tensor: tf.Tensor, name: string): void {
  if (tensor.isDisposed) throw this.disposedParameter(name, tensor);
}
