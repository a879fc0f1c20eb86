import { Comparison, Tolerance, compareArrays, describeComparison } from '../compare';
import { BatchGeometry, batchGeometry, sliceRows } from './batchRows';

/**
 * `compareArrays` over an array too large to hold, fed a block of batch rows at a time: every
 * sequence is compared on its own, and the whole array's comparison is merged from theirs
 * (the worst index is that of the sequence furthest outside tolerance).
 */
export class BatchComparison {
  private merged: Comparison;
  private worstRatio = -1;
  /** Max |actual − expected| of every sequence, by row. */
  private readonly sequenceMaxDiff: Float64Array;
  private sequencesOutside = 0;
  private readonly sequenceShape: number[];

  /**
   * @param label e.g. `output, manual vs layers`.
   * @param shape the compared rows' shape (batch axis of `rows`), `firstRow` the file row of row 0.
   */
  constructor(
    readonly label: string,
    shape: readonly number[],
    private readonly batchAxis: number | null,
    private readonly firstRow: number,
    readonly tolerance: Tolerance,
  ) {
    const { batch } = batchGeometry(shape, batchAxis);
    this.sequenceMaxDiff = new Float64Array(batch);
    this.sequenceShape = shape.filter((_, axis) => axis !== batchAxis);
    this.merged = { ok: true, maxAbsDiff: 0, maxRelDiff: 0, worstIndex: [], actual: NaN, expected: NaN, tolerance };
  }

  /** Compares rows `[start, start + rows)` (file rows), given as blocks of `blockShape`. */
  add(start: number, blockShape: readonly number[], actual: Float32Array, expected: Float32Array): void {
    const geometry: BatchGeometry = batchGeometry(blockShape, this.batchAxis);
    for (let row = 0; row < geometry.batch; row++) {
      const comparison = compareArrays(
        { shape: this.sequenceShape, data: sliceRows(actual, geometry, row, row + 1) },
        { shape: this.sequenceShape, data: sliceRows(expected, geometry, row, row + 1) },
        this.tolerance,
      );
      this.merge(start + row, comparison);
    }
  }

  private merge(fileRow: number, comparison: Comparison): void {
    const { rtol, atol } = this.tolerance;
    const diff = Math.abs(comparison.actual - comparison.expected);
    const ratio = Number.isNaN(diff) ? Infinity : diff / (atol + rtol * Math.abs(comparison.expected));
    this.sequenceMaxDiff[fileRow - this.firstRow] = comparison.maxAbsDiff;
    if (!comparison.ok) this.sequencesOutside++;
    const worstIndex = [...comparison.worstIndex];
    if (this.batchAxis !== null) worstIndex.splice(this.batchAxis, 0, fileRow);
    this.merged = {
      ...this.merged,
      ok: this.merged.ok && comparison.ok,
      maxAbsDiff: Math.max(this.merged.maxAbsDiff, comparison.maxAbsDiff),
      maxRelDiff: Math.max(this.merged.maxRelDiff, comparison.maxRelDiff),
      ...(ratio > this.worstRatio ? { worstIndex, actual: comparison.actual, expected: comparison.expected } : {}),
    };
    this.worstRatio = Math.max(this.worstRatio, ratio);
  }

  get comparison(): Comparison {
    return this.merged;
  }

  /**
   * Two lines: `describeComparison` with a verdict, and the per-sequence summary:
   * `per sequence max |diff|: median 1.19e-7, max 2.38e-7 (sequence 3); 0 of 4 outside tolerance`.
   */
  describe(): string {
    const sorted = Float64Array.from(this.sequenceMaxDiff).sort();
    const count = sorted.length;
    let worstSequence = 0;
    this.sequenceMaxDiff.forEach((diff, row) => {
      if (!(diff <= this.sequenceMaxDiff[worstSequence])) worstSequence = row;
    });
    const median = count === 0 ? NaN : sorted[Math.floor((count - 1) / 2)];
    const verdict = this.merged.ok ? 'ok' : 'OUTSIDE TOLERANCE';
    return (
      `${describeComparison(this.label, this.merged)}: ${verdict}\n` +
      `  per sequence max |diff|: median ${median.toExponential(2)}, max ${sorted[count - 1]?.toExponential(2) ?? 'NaN'} ` +
      `(sequence ${this.firstRow + worstSequence}); ${this.sequencesOutside} of ${count} outside tolerance`
    );
  }
}
