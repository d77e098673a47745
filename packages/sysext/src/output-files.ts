import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SysextError } from './errors.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { updateSha256Sums } from './sha256sums.js';

/** Writes a text file through a temp file in the same directory and a rename. */
export async function writeTextAtomic(path: string, content: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, { mode: 0o644 });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new SysextError('IO', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Adds or replaces the line for `name` in `<dir>/SHA256SUMS`, keeping the other lines. The read,
 * update and write run under `<dir>/.SHA256SUMS.lock`, so builds running at once into the same
 * directory (other processes too) do not lose each other's lines.
 */
export async function updateSha256SumsFile(dir: string, name: string, sha256: string, lock: FileLockOptions = {}): Promise<string> {
  const path = join(dir, 'SHA256SUMS');
  return withFileLock(
    join(dir, '.SHA256SUMS.lock'),
    async () => {
      let text = '';
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SysextError('IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
      }
      await writeTextAtomic(path, updateSha256Sums(text, { name, sha256 }));
      return path;
    },
    lock,
  );
}
