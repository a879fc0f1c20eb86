import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import { basename, dirname, join } from 'path';
import { FormatError } from '../errors';

/** A temp file name next to `path`, so that renaming it over `path` stays on one file system. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `contents` to `path` atomically: to a temp file in the same directory, flushed to
 * disk, then renamed over `path`. Readers see the old file or the new one, never a partial
 * write. A failure removes the temp file and is a `FormatError` whose argument is `path`.
 */
export async function writeFileAtomic(path: string, contents: Uint8Array | string): Promise<void> {
  const tempPath = tempPathFor(path);
  try {
    const file = await fs.open(tempPath, 'wx');
    try {
      await file.writeFile(contents);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(tempPath, path);
  } catch (error) {
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw new FormatError(path, 'a writable file path', (error as Error).message);
  }
}
