/**
 * Buffers reused from chunk to chunk, so that a run in its steady state allocates no large
 * array per chunk: a fresh large allocation costs far more than the copy into it (every new
 * page faults, and in a process with worker threads the faults contend), and freed buffers
 * only become reusable memory after a garbage collection.
 */

/** The free buffers kept at most; beyond that the smallest is dropped. */
const MAX_FREE = 16;

/** The smallest power of two ≥ `bytes`: buffers come in a few sizes, so a freed one fits the next request. */
function capacityFor(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(bytes, 1)));
}

/**
 * Float32 arrays on buffers taken from a free list: `take(length)` views `length` values at
 * the start of the smallest free buffer that holds them (a new one, of the next power of two
 * bytes, when none does); `give(buffer)` puts a buffer no one reads any more back on the list.
 * Buffers are `SharedArrayBuffer`s when `shared` (read in place by every thread), else
 * `ArrayBuffer`s (which can be moved to another thread and back).
 */
export class BufferPool {
  private readonly free: ArrayBufferLike[] = [];

  constructor(private readonly shared: boolean) {}

  /** `length` float32 values (their contents are whatever the buffer last held). */
  take(length: number): Float32Array {
    const bytes = length * Float32Array.BYTES_PER_ELEMENT;
    let best = -1;
    this.free.forEach((buffer, index) => {
      if (buffer.byteLength >= bytes && (best < 0 || buffer.byteLength < this.free[best].byteLength)) best = index;
    });
    if (best >= 0) return new Float32Array(this.free.splice(best, 1)[0], 0, length);
    const capacity = capacityFor(bytes);
    return new Float32Array(this.shared ? new SharedArrayBuffer(capacity) : new ArrayBuffer(capacity), 0, length);
  }

  /** Returns `buffer` to the list (one of `take`'s, or any buffer of the same kind). */
  give(buffer: ArrayBufferLike): void {
    if (buffer.byteLength === 0) return; // Detached: moved to another thread.
    this.free.push(buffer);
    if (this.free.length <= MAX_FREE) return;
    const smallest = this.free.reduce((at, candidate, index) => (candidate.byteLength < this.free[at].byteLength ? index : at), 0);
    this.free.splice(smallest, 1);
  }
}
