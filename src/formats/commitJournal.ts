import { randomBytes } from 'crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'fs';
import { hostname } from 'os';
import { basename, dirname, join, resolve } from 'path';
import { FormatError } from '../errors';

/**
 * Commits of several files at once, all or none, even across a crash. The new files are
 * finished temp files; the commit, all synchronous (no signal handler runs in its middle):
 *
 * 1. checks that every destination is a regular file or a new name;
 * 2. writes a journal, `.tfjs-rnn-commit.<pid>.<hex>.json`, listing each destination, its temp
 *    file and where its old file is kept, in every directory the commit writes to (the first
 *    is the primary copy), flushed to disk;
 * 3. keeps each old file as `.<name>.<pid>.<hex>.old` (a hard link, or the file moved aside
 *    where links are not supported);
 * 4. renames every temp file over its destination;
 * 5. renames the primary journal to `….done.json`: the commit point. Then removes the kept old
 *    files, the other copies of the journal, and the done journal last.
 *
 * A failure in 3 or 4 puts every old file back and removes the new ones. A process killed
 * between 2 and 5 leaves its journal: the next write into one of its directories (any
 * process on the same host) finds the journal of a process that is gone and rolls the commit
 * back while the primary copy exists (every destination as before the commit), or finishes its
 * clean-up when it does not (the commit had landed whole). A journal names its host: on a
 * volume shared by machines (the tasks of a sharded run), a process id means nothing on
 * another host, so journals of other hosts are left to their own.
 */

/** One destination of a commit: its path, its finished temp file, and where its old file is kept (null: a new name). */
export interface CommitEntry {
  path: string;
  temp: string;
  backup: string | null;
}

/** A journal as written: its primary copy (whose removal commits), every copy, and the destinations. */
interface Journal {
  host: string;
  primary: string;
  copies: string[];
  entries: CommitEntry[];
}

const VERSION_KEY = 'tfjs-rnn commit';
const VERSION = 1;

/** Age after which a journal that cannot be read is removed: a crash while writing it, not another host writing it. */
const UNREADABLE_JOURNAL_MS = 10 * 60 * 1000;

/** `.tfjs-rnn-commit.<pid>.<12 hex digits>.json`: a journal and the process that wrote it. */
const JOURNAL_NAME = /^\.tfjs-rnn-commit\.(\d+)\.[0-9a-f]{12}(\.done)?\.json$/;

/** The name of a primary journal once its commit has landed. */
function donePath(primary: string): string {
  return primary.replace(/\.json$/, '.done.json');
}

/** Removes `path` if it is there. */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Nothing to remove.
  }
}

/** Whether process `pid` exists (`EPERM`: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Flushes a directory's entries (renames, removals) to disk; quietly, where directories cannot be flushed. */
function fsyncDirectory(directory: string): void {
  try {
    const fd = openSync(directory, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every file system flushes directories; the renames stand.
  }
}

/** Writes `text` to the new file `path` and flushes it to disk. */
function writeNewFile(path: string, text: string): void {
  const fd = openSync(path, 'wx');
  try {
    const bytes = Buffer.from(text, 'utf8');
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What a file that is not a regular one is, for messages. */
function kindOf(path: string): string | undefined {
  try {
    const stats = statSync(path);
    if (stats.isFile()) return undefined;
    return stats.isDirectory() ? 'a directory' : 'not a regular file';
  } catch {
    return undefined; // A new name (or one the rename will report).
  }
}

/** Where the old file of `path` is kept during a commit of process `pid`. */
function backupPathFor(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tag}.old`);
}

/** Puts each kept old file back over its destination and removes the new files of new names; false when one could not be put back. */
function rollBack(entries: CommitEntry[]): boolean {
  let restored = true;
  for (const { path, temp, backup } of entries) {
    if (backup !== null) {
      if (existsSync(backup)) {
        try {
          renameSync(backup, path);
        } catch {
          restored = false;
          continue;
        }
      }
      unlinkQuietly(backup); // Left when it was a second link to the file still at `path`.
    } else if (!existsSync(temp)) {
      unlinkQuietly(path); // The temp file was renamed: the file at `path` is the new one.
    }
    unlinkQuietly(temp);
  }
  return restored;
}

/**
 * Renames each entry's temp file over its path, all or none: see the module comment. `rename`
 * renames one entry's temp file (throwing a `FormatError` naming it); on any failure every
 * destination is as it was and the error is thrown.
 */
export function commitEntries(entries: Array<{ path: string; temp: string }>, rename: (index: number) => void): void {
  entries.forEach(({ path }) => {
    const kind = kindOf(path);
    if (kind !== undefined) throw new FormatError(path, 'a regular file or a new name to write', kind);
  });
  const tag = randomBytes(6).toString('hex');
  const planned: CommitEntry[] = entries.map(({ path, temp }) => ({
    path: resolve(path),
    temp: resolve(temp),
    backup: existsSync(path) ? backupPathFor(resolve(path), tag) : null,
  }));
  const directories = [...new Set(planned.map(({ path }) => dirname(path)))];
  const copies = directories.map((directory) => join(directory, `.tfjs-rnn-commit.${process.pid}.${tag}.json`));
  const primary = copies[0];
  const text = JSON.stringify({ [VERSION_KEY]: VERSION, host: hostname(), primary, copies, entries: planned });
  const written: string[] = [];
  const removeJournal = (): void => [...written].reverse().forEach(unlinkQuietly);
  try {
    for (const copy of copies) {
      writeNewFile(copy, text);
      written.push(copy);
    }
    directories.forEach(fsyncDirectory);
  } catch (error) {
    removeJournal();
    throw new FormatError(copies[written.length] ?? primary, 'a writable file path', systemErrorText(error));
  }
  let index = 0;
  try {
    for (; index < planned.length; index++) {
      const { path, backup } = planned[index];
      if (backup !== null) keepOldFile(path, backup);
    }
  } catch (error) {
    if (rollBack(planned)) removeJournal();
    throw new FormatError(planned[index].path, 'a file that can be replaced', systemErrorText(error));
  }
  try {
    for (index = 0; index < planned.length; index++) rename(index);
  } catch (error) {
    if (rollBack(planned)) removeJournal();
    throw error instanceof FormatError ? error : new FormatError(planned[index].path, 'a writable file path', systemErrorText(error));
  }
  directories.forEach(fsyncDirectory);
  try {
    renameSync(primary, donePath(primary)); // The commit point.
  } catch {
    // The files have all landed: only the clean-up below is left, which the rename would have recorded.
  }
  planned.forEach(({ backup }) => backup !== null && unlinkQuietly(backup));
  copies.slice(1).forEach(unlinkQuietly);
  unlinkQuietly(primary);
  unlinkQuietly(donePath(primary));
}

/** Keeps the file at `path` as `backup`: a second link to it, or the file moved aside where links are not supported. */
function keepOldFile(path: string, backup: string): void {
  try {
    linkSync(path, backup);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw error;
    renameSync(path, backup);
  }
}

/** What a failed system call says, without the paths: `ENOSPC: no space left on device`. */
export function systemErrorText(error: unknown): string {
  const message = (error as Error).message;
  return /^E[A-Z]+: [^,]*/.exec(message)?.[0] ?? message;
}

/** The journal at `path`, or undefined when it is not one (a crash while writing it, before anything moved). */
function readJournal(path: string): Journal | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (parsed[VERSION_KEY] !== VERSION || typeof parsed.host !== 'string' || typeof parsed.primary !== 'string' || !Array.isArray(parsed.entries) || !Array.isArray(parsed.copies)) return undefined;
    return parsed as unknown as Journal;
  } catch {
    return undefined;
  }
}

/**
 * Finishes the commits of processes that are gone whose journal is in `directory`: rolled back
 * while their primary journal exists, else cleaned up (see the module comment).
 */
export function recoverCommits(directory: string): void {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return; // Opening the temp file reports the directory.
  }
  for (const name of names) {
    const match = JOURNAL_NAME.exec(name);
    if (match === null || isAlive(Number(match[1]))) continue;
    const path = join(directory, name);
    const journal = readJournal(path);
    if (journal === undefined) {
      // Cut short while written (nothing had moved yet), or being written on another host: removed once surely the former.
      const stats = statSync(path, { throwIfNoEntry: false });
      if (stats !== undefined && Date.now() - stats.mtimeMs > UNREADABLE_JOURNAL_MS) unlinkQuietly(path);
      continue;
    }
    if (journal.host !== hostname()) continue; // Its process id is another host's.
    if (match[2] === undefined && existsSync(journal.primary)) {
      if (!rollBack(journal.entries)) continue; // Tried again by the next write.
    } else {
      journal.entries.forEach(({ temp, backup }) => {
        unlinkQuietly(temp);
        if (backup !== null) unlinkQuietly(backup);
      });
    }
    journal.copies.filter((copy) => copy !== journal.primary).forEach(unlinkQuietly);
    unlinkQuietly(journal.primary);
    unlinkQuietly(donePath(journal.primary));
  }
}
