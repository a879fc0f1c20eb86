import { Stats, realpathSync, statSync } from 'fs';
import { basename, dirname, join, resolve } from 'path';
import { ArgumentError } from '../errors';
import { FileRole, FlagSpec, FlagValues, optionalString } from './flags';

/**
 * The files a command writes, checked before any work: each is a new name or a regular file in
 * an existing directory, and none is the same file as an input or as another output, however it
 * is spelled (`x.npy`, `./x.npy`, a symbolic or a hard link): paths are compared with their
 * directory resolved, existing files by device and inode.
 */

/** A file of the command line: what names it (`--output`, `OUT`) and its path. */
export interface NamedFile {
  name: string;
  path: string;
}

/** The files given to the flags of `spec` whose `file` is `role`. */
export function fileFlags(spec: FlagSpec, values: FlagValues, role: FileRole): NamedFile[] {
  return Object.entries(spec).flatMap(([flag, { file }]) => {
    const path = file === role ? optionalString(values, flag) : undefined;
    return path === undefined ? [] : [{ name: `--${flag}`, path }];
  });
}

/** The files `--weights` was read from (a tfjs model.json and its weight files), as inputs. */
export function weightFiles(sources: string[]): NamedFile[] {
  return sources.map((path) => ({ name: '--weights', path }));
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Where a path leads: its directory's real path joined with its name, and the file it reaches, if any. */
interface Location {
  resolved: string;
  stats?: Stats;
}

function locate(path: string): Location {
  let directory = resolve(dirname(path));
  try {
    directory = realpathSync(directory);
  } catch {
    // A directory that does not exist: checkDirectory reports it for an output.
  }
  return { resolved: join(directory, basename(path)), stats: statOf(path) };
}

function sameFile(a: Location, b: Location): boolean {
  return a.resolved === b.resolved || (a.stats !== undefined && b.stats !== undefined && a.stats.dev === b.stats.dev && a.stats.ino === b.stats.ino);
}

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  return 'a socket';
}

/**
 * The directory of `label`'s `path` exists; with `createDirectory` it may be missing, to be
 * made, when the nearest path above it that exists is a directory.
 */
function checkDirectory(label: string, path: string, createDirectory: boolean): void {
  let directory = dirname(path);
  let stats = statOf(directory);
  while (createDirectory && stats === undefined && dirname(directory) !== directory) {
    directory = dirname(directory);
    stats = statOf(directory);
  }
  if (stats?.isDirectory()) return;
  const expected = createDirectory ? 'a path in a directory (made if missing)' : 'a path in an existing directory';
  throw new ArgumentError(label, expected, stats === undefined ? `no directory ${directory}` : `${directory}, ${kindOf(stats)}`);
}

/**
 * Refuses an output that is a directory or another file than a regular one (outputs are renamed
 * over their path), one whose directory does not exist (with `createDirectory`: cannot be made
 * under an existing one), and one that is the same file as an input or as another output.
 */
export function checkOutputFiles(outputs: NamedFile[], inputs: NamedFile[], createDirectory = false): void {
  const located = (files: NamedFile[]) => files.map((file) => ({ ...file, location: locate(file.path) }));
  const inputLocations = located(inputs);
  const outputLocations = located(outputs);
  outputLocations.forEach(({ name, path, location }, index) => {
    const label = `${name} ${path}`;
    if (/[\\/]$/.test(path)) throw new ArgumentError(label, 'a file path', 'a directory path');
    if (location.stats !== undefined && !location.stats.isFile()) throw new ArgumentError(label, 'a regular file or a new name', kindOf(location.stats));
    checkDirectory(label, path, createDirectory);
    const same = [...inputLocations, ...outputLocations.slice(0, index)].find((other) => sameFile(location, other.location));
    if (same !== undefined) {
      const role = inputLocations.includes(same) ? 'an input' : 'another output';
      throw new ArgumentError(label, `a file that is not ${role}`, `the same file as ${same.name} ${same.path}`);
    }
  });
}
