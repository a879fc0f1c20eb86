import { promises as fs } from 'fs';
import { FormatError } from '../errors';

/** The error for a file that cannot be read, naming it: `x.npy: expected a readable file, got no such file`. */
export function unreadable(path: string, error: unknown): FormatError {
  const code = (error as NodeJS.ErrnoException).code;
  return new FormatError(path, 'a readable file', code === 'ENOENT' ? 'no such file' : (error as Error).message);
}

/** The bytes of `path`, or `unreadable(path)`. */
export async function readNamedFile(path: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    throw unreadable(path, error);
  }
}
