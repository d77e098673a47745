/**
 * A {@link ContentStore} for {@link addTar} that bounds memory: file contents stay in memory up
 * to a limit, the rest goes to one temp file (written in archive order, read back by position as
 * the writer packs each file); or, for an uncompressed tar file, nothing is kept and contents are
 * read from the archive itself. For `bakery pack --tar` of an archive of any size.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SquashfsError } from '../errors.js';
import type { ContentStore } from '../input/tar.js';
import { contentFromBytes } from '../tree/content.js';
import type { FileContent } from '../tree/node.js';
import { trackTempFile } from './file-io.js';

export interface SpoolOptions {
  /** Contents kept in memory, in bytes, before they go to the temp file (default 64 MiB). */
  memoryLimit?: number;
  /** Name the temp file after this (`.<name>.spool-<random>`; default "bakery"). */
  name?: string;
  /**
   * The archive being read, when it is an uncompressed tar file: contents are then read from it
   * at their positions later, nothing is kept or written (the file must not change meanwhile).
   */
  archive?: string;
}

export interface Spool extends ContentStore {
  /** The temp file, once something was spooled. */
  readonly path: string | undefined;
  /** Bytes in the temp file. */
  readonly spooled: number;
  /** Removes the temp file: contents spooled cannot be read after this. Idempotent. */
  close(): void;
}

/** Reads of a spooled file that the writer keeps go into buffers of this size at most. */
const READ_SIZE = 1 << 20;

/**
 * A spool in `dir` (pick a directory on a disk, not a RAM file system: the image's own directory
 * is a good one). The temp file is created on first need, registered with the files
 * `removeTempFilesOnSignal` removes, and removed by `close()`.
 */
export function createSpool(dir: string, options: SpoolOptions = {}): Spool {
  const memoryLimit = Math.max(0, options.memoryLimit ?? 64 << 20);
  let inMemory = 0;
  let fd: number | undefined;
  let path: string | undefined;
  let end = 0;
  let closed = false;

  const file = (): number => {
    if (fd !== undefined) return fd;
    path = join(dir, `.${options.name ?? 'bakery'}.spool-${randomBytes(6).toString('hex')}`);
    try {
      fd = openSync(path, 'wx+', 0o600);
    } catch (error) {
      throw new SquashfsError('IO', `cannot create the spool file ${path}: ${(error as Error).message}`, { path, cause: error });
    }
    trackTempFile(path, true);
    return fd;
  };

  let archiveFd: number | undefined;
  const archive = (): number => {
    if (archiveFd !== undefined) return archiveFd;
    try {
      archiveFd = openSync(options.archive!, 'r');
    } catch (error) {
      throw new SquashfsError('IO', `cannot open ${options.archive}: ${(error as Error).message}`, { path: options.archive!, cause: error });
    }
    return archiveFd;
  };

  /** Content `size` bytes long at `offset` of the temp file, or of the archive (`inArchive`). */
  const spooled = (offset: number, size: number, origin: string, inArchive = false): FileContent => {
    const readAt = (target: Uint8Array, length: number, at: number): number => {
      if (closed) throw new SquashfsError('IO', `${origin}: read after its spool was closed`);
      const from = inArchive ? archiveFd! : fd!;
      let done = 0;
      while (done < length) {
        const n = readSync(from, target, done, length - done, at + done);
        if (n === 0) throw new SquashfsError('IO', `${origin}: ${inArchive ? `${options.archive} is shorter than when it was read` : `the spool file ${path} ended early`}`);
        done += n;
      }
      return done;
    };
    return {
      size,
      origin,
      readInto: (target) => readAt(target, Math.min(size, target.length), offset),
      *open() {
        for (let at = 0; at < size; ) {
          const buffer = new Uint8Array(Math.min(READ_SIZE, size - at));
          at += readAt(buffer, buffer.length, offset + at);
          yield buffer;
        }
      },
    };
  };

  return {
    get path() {
      return path;
    },
    get spooled() {
      return end;
    },
    async store(size, origin, pieces, at) {
      if (closed) throw new SquashfsError('IO', `${origin}: stored after its spool was closed`);
      if (options.archive !== undefined) {
        archive();
        for await (const piece of pieces) void piece; // the archive goes on after them
        return spooled(at, size, origin, true);
      }
      if (inMemory + size <= memoryLimit) {
        inMemory += size;
        const kept: Uint8Array[] = [];
        for await (const piece of pieces) kept.push(piece);
        if (kept.length <= 1) return contentFromBytes(kept[0] ?? new Uint8Array(0), origin);
        return { size, origin, open: () => kept };
      }
      const out = file();
      const offset = end;
      for await (const piece of pieces) {
        let done = 0;
        try {
          while (done < piece.length) done += writeSync(out, piece, done, piece.length - done, end + done);
        } catch (error) {
          throw new SquashfsError('IO', `cannot write ${origin} to the spool file ${path}: ${(error as Error).message}`, { path: path!, cause: error });
        }
        end += piece.length;
      }
      return spooled(offset, size, origin);
    },
    close() {
      if (closed) return;
      closed = true;
      if (archiveFd !== undefined) closeSync(archiveFd);
      if (fd === undefined) return;
      closeSync(fd);
      try {
        unlinkSync(path!);
      } catch {
        // already gone
      }
      trackTempFile(path!, false);
    },
  };
}
