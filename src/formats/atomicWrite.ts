import { randomBytes } from 'crypto';
import { closeSync, fsync, openSync, readdirSync, renameSync, writeSync } from 'fs';
import { basename, dirname, join } from 'path';
import { promisify } from 'util';
import { FormatError } from '../errors';
import { commitEntries, isAlive, recoverCommits, systemErrorText, unlinkQuietly } from './commitJournal';

export { systemErrorText };

/**
 * Atomic writes: each file is written to a temp file in its directory, flushed to disk, then
 * renamed over its path, so readers see the old file or the new one, never a partial write.
 * Temp files are named `.<name>.<pid>.<12 hex digits>.tmp`; the ones not yet renamed are listed
 * for `removeTempFiles` (an interrupted process), and those of a process that is gone (killed)
 * are removed by the next write of the same path. Several files are committed together, all or
 * none, through a journal (commitJournal.ts) that the next write into their directory finishes
 * or undoes when the committing process was killed in its middle.
 */

/** A temp file name next to `path`, so that renaming it over `path` stays on one file system. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** `.<name>.<pid>.<hex>.tmp`, as `tempPathFor` names them: the target's name and the writing process. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Temp files created and neither renamed nor removed. */
const tempFiles = new Set<string>();

/** Removes every temp file not yet renamed (on SIGINT, SIGTERM, SIGHUP), so no partial output remains. */
export function removeTempFiles(): void {
  tempFiles.forEach(unlinkQuietly);
  tempFiles.clear();
}

/**
 * Finishes the commits interrupted in the directory of `path` (see `recoverCommits`), then
 * removes the temp files of `path` whose process is gone: left by a run killed before it could
 * clean up.
 */
function removeStaleTempFiles(path: string): void {
  recoverCommits(dirname(path));
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // Opening the temp file reports the directory.
  }
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match !== null && match[1] === basename(path) && !isAlive(Number(match[2]))) unlinkQuietly(join(dirname(path), name));
  }
}

/** A file of this module's making: its temp file written, then flushed, then renamed over its path. */
export interface PendingWrite {
  readonly path: string;
  /** The temp file renamed over `path`. */
  readonly tempPath: string;
  /** Completes the temp file and flushes it to disk, so that the rename cannot lose data. */
  finish(): Promise<void>;
  /** Renames the finished temp file over `path`. */
  rename(): void;
  /** Removes the temp file and leaves `path` as it was; does nothing once renamed. */
  abort(): void;
}

/** A temp file open for writing at any offset, for `path`. */
export interface PendingFile extends PendingWrite {
  /** Its descriptor, for flushes in the background. */
  readonly fd: number;
  /** Writes all of `bytes` at byte `position`. */
  write(bytes: Uint8Array, position: number): void;
}

/** The `FormatError` of a failed write of `path`, naming it. */
function unwritable(path: string, error: unknown): FormatError {
  return new FormatError(path, 'a writable file path', systemErrorText(error));
}

/**
 * Creates the temp file of `path` (removing stale ones of processes that are gone). Every
 * failure, a full disk included, is a `FormatError` whose argument is `path`.
 */
export function openPendingFile(path: string): PendingFile {
  removeStaleTempFiles(path);
  const tempPath = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(tempPath, 'wx+');
  } catch (error) {
    throw unwritable(path, error);
  }
  tempFiles.add(tempPath);
  let open = true;
  const close = (): void => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    path,
    tempPath,
    fd,
    write(bytes, position) {
      try {
        for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
      } catch (error) {
        throw unwritable(path, error);
      }
    },
    async finish() {
      try {
        await promisify(fsync)(fd);
        close();
      } catch (error) {
        throw unwritable(path, error);
      }
    },
    rename() {
      try {
        renameSync(tempPath, path);
      } catch (error) {
        throw unwritable(path, error);
      }
      tempFiles.delete(tempPath);
    },
    abort() {
      if (!tempFiles.delete(tempPath)) return;
      try {
        close();
      } catch {
        // The descriptor is gone with the file.
      }
      unlinkQuietly(tempPath);
    },
  };
}

/**
 * Finishes every write, then renames them all: none is renamed unless every one is on disk,
 * and several are committed together through a journal (`commitEntries`), so that a failure
 * at any rename leaves every destination as it was. On any error every temp file not yet
 * renamed is removed and the error is thrown.
 */
export async function commitAll(writes: PendingWrite[]): Promise<void> {
  try {
    for (const write of writes) await write.finish();
    if (writes.length === 1) writes[0].rename();
    else commitEntries(writes.map(({ path, tempPath }) => ({ path, temp: tempPath })), (index) => writes[index].rename());
  } catch (error) {
    writes.forEach((write) => write.abort());
    throw error;
  }
}

/** What a file is written from: bytes, a string, or pieces of text written one after another (UTF-8). */
export type FileContents = Uint8Array | string | Iterable<string>;

/** Writes `contents` to `file` from its first byte, a piece of text at a time. */
function writeContents(file: PendingFile, contents: FileContents): void {
  if (contents instanceof Uint8Array) return file.write(contents, 0);
  let position = 0;
  for (const piece of typeof contents === 'string' ? [contents] : contents) {
    const bytes = Buffer.from(piece, 'utf8');
    file.write(bytes, position);
    position += bytes.length;
  }
}

/** Writes each file's `contents` to its `path` atomically, all or (on an error, a `FormatError` naming the file) none. */
export async function writeFilesAtomic(files: { path: string; contents: FileContents }[]): Promise<void> {
  const pending: PendingFile[] = [];
  try {
    for (const { path, contents } of files) {
      const file = openPendingFile(path);
      pending.push(file);
      writeContents(file, contents);
    }
  } catch (error) {
    pending.forEach((file) => file.abort());
    throw error;
  }
  await commitAll(pending);
}

/**
 * Writes `contents` to `path` atomically: to a temp file in the same directory, flushed to
 * disk, then renamed over `path`. A failure removes the temp file and is a `FormatError` whose
 * argument is `path` (or the error `contents` threw while giving its pieces).
 */
export function writeFileAtomic(path: string, contents: FileContents): Promise<void> {
  return writeFilesAtomic([{ path, contents }]);
}
