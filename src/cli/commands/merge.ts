import { ArgumentError, formatShape } from '../../errors';
import { commitAll, npyItemSize, shapeSize } from '../../formats';
import { batchGeometry } from '../batchRows';
import { UsageError, parseFlags } from '../flags';
import { CliIO, EXIT_OK } from '../io';
import { NpyWriter, createNpyWriter } from '../outputFile';
import { checkOutputFiles, fileFlags } from '../outputPaths';
import { Piece, PieceSet, checkPieceSet, checkSameRun, openPiece } from '../pieceSet';
import { extensionOf } from '../sequenceFile';
import { ShardArray } from '../shardRecord';

export const MERGE_FLAGS = {
  output: { type: 'string', file: 'output' },
  hn: { type: 'string', file: 'output' },
  cn: { type: 'string', file: 'output' },
} as const;

/** The array each flag's file is merged from, as `run` names its outputs' records. */
const FLAG_ARRAYS: Record<string, ShardArray> = { '--output': 'output', '--hn': 'h_n', '--cn': 'c_n' };

/** Bytes of the merged array assembled at once, read straight into place: all merge holds of the pieces. */
export const MERGE_BLOCK_BYTES = 16 * 2 ** 20;

/**
 * Writes the pieces of `set` (in shard order) to `writer` in the merged array's C order: for
 * each index of the axes before the batch axis, every piece's rows in turn, assembled in a
 * block of at most `MERGE_BLOCK_BYTES` and written when full, so that memory stays flat
 * whatever the size of the files.
 */
function copyPieces(set: PieceSet, writer: NpyWriter): void {
  const itemSize = npyItemSize('float32');
  const { outer } = batchGeometry(set.shape, set.batchAxis);
  const block = new Uint8Array(Math.min(MERGE_BLOCK_BYTES, shapeSize(set.shape) * itemSize));
  let filled = 0;
  let written = 0;
  const flush = (): void => {
    writer.writeValues(written / itemSize, block.subarray(0, filled));
    written += filled;
    filled = 0;
  };
  /** Each piece's rows for one index before the batch axis: contiguous in the piece, `runBytes` long. */
  const runs = set.pieces.map(({ file, header }) => {
    const { batch, inner } = batchGeometry(header.shape, set.batchAxis);
    return { file, dataOffset: header.dataOffset, runBytes: batch * inner * itemSize };
  });
  for (let o = 0; o < outer; o++) {
    for (const { file, dataOffset, runBytes } of runs) {
      for (let done = 0; done < runBytes; ) {
        const length = Math.min(runBytes - done, block.length - filled);
        file.readInto(block.subarray(filled, filled + length), dataOffset + o * runBytes + done);
        filled += length;
        done += length;
        if (filled === block.length) flush();
      }
    }
  }
  if (filled > 0) flush();
}

/** Opens every piece, closing those opened when one fails. */
function openPieces(paths: string[]): Piece[] {
  const pieces: Piece[] = [];
  try {
    paths.forEach((path) => pieces.push(openPiece(path)));
    return pieces;
  } catch (error) {
    pieces.forEach((piece) => piece.file.close());
    throw error;
  }
}

/** For each output flag given, its path and the checked set of its array's pieces; a piece of an array no flag asks for is refused. */
function pieceSets(outputs: Array<{ name: string; path: string }>, pieces: Piece[]): Array<{ path: string; set: PieceSet }> {
  checkSameRun(pieces);
  const arrays = outputs.map(({ name }) => FLAG_ARRAYS[name]);
  const stray = pieces.find((piece) => !arrays.includes(piece.record.array));
  if (stray !== undefined) {
    const flag = Object.keys(FLAG_ARRAYS).find((name) => FLAG_ARRAYS[name] === stray.record.array);
    throw new ArgumentError(stray.path, `a piece of ${arrays.join(' or ')}`, `a piece of ${stray.record.array} (give ${flag} to merge it)`);
  }
  return outputs.map(({ name, path }) => {
    const own = pieces.filter((piece) => piece.record.array === FLAG_ARRAYS[name]);
    if (own.length === 0) throw new ArgumentError(name, `pieces of ${FLAG_ARRAYS[name]} among PIECE...`, 'none');
    return { path, set: checkPieceSet(own) };
  });
}

/**
 * `tfjs-rnn merge`: the pieces of a sharded run (`run --shard`) back into the arrays a single
 * run writes, byte for byte: checked first to be the complete set of one run, then
 * concatenated along the batch axis in shard order, streaming, each output written to a temp
 * file and renamed at the end, all or none.
 */
export async function mergeCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, MERGE_FLAGS, ['PIECE...']);
  const outputs = fileFlags(MERGE_FLAGS, values, 'output');
  if (outputs.length === 0) throw new UsageError('--output, --hn or --cn', 'the file to merge the pieces into', 'none');
  outputs.forEach(({ path }) => extensionOf(path, ['.npy']));
  checkOutputFiles(outputs, positionals.map((path) => ({ name: 'PIECE', path })));
  const pieces = openPieces(positionals);
  const writers: NpyWriter[] = [];
  try {
    const sets = pieceSets(outputs, pieces);
    for (const { path, set } of sets) {
      const writer = createNpyWriter(path, set.shape);
      writers.push(writer);
      copyPieces(set, writer);
    }
    await commitAll(writers);
    const merged = sets.map(({ path, set }) => `${set.pieces.length} pieces of ${set.array} into ${path} ${formatShape(set.shape)}`);
    io.stderr.write(`merged ${merged.join(', ')}\n`);
    return EXIT_OK;
  } finally {
    writers.forEach((writer) => writer.abort());
    pieces.forEach((piece) => piece.file.close());
  }
}
