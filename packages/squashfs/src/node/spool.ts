/**
 * A {@link ContentStore} for {@link addTar} that bounds memory: file contents stay in memory up
 * to a limit, the rest goes to one temp file (written in archive order, read back by position as
 * the writer packs each file); or, for an uncompressed tar file, nothing is kept and contents are
 * read from the archive itself. For `bakery pack --tar` of an archive of any size.
 */
import { closeSync, openSync, readSync, unlinkSync, write } from 'node:fs';
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
  /**
   * Waits for the temp file's writes (they run in the background while the archive is read) and
   * reports the first that failed. Call it once the archive is read, before the contents are.
   */
  flush(): Promise<void>;
  /** Removes the temp file (once its writes are done): contents spooled cannot be read after this. Idempotent. */
  close(): Promise<void>;
}

/** Bytes of spooled pieces written in the background at most; past it, storing waits. */
const WRITES_IN_FLIGHT = 32 << 20;

/** Pieces smaller than this are gathered into writes of this size. */
const GATHER_SIZE = 1 << 20;

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
  /** Background writes: bytes not yet written, the first failure, who waits for progress. */
  let pendingBytes = 0;
  let failure: SquashfsError | undefined;
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  /** Resolves once at most `limit` bytes are still being written (or, with `orFailure`, one write failed). */
  const settled = (limit: number, orFailure: boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      const check = (): void => {
        if ((orFailure && failure !== undefined) || pendingBytes <= limit) resolve();
        else waiters.push(check);
      };
      check();
    });
  /** Writes all of `piece` at `position` in the background (a short write goes on where it stopped). */
  const writeAt = (out: number, piece: Uint8Array, position: number, origin: string): void => {
    const step = (done: number): void => {
      write(out, piece, done, piece.length - done, position + done, (error, written) => {
        if (error !== null || written === 0) {
          failure ??= new SquashfsError('IO', `cannot write ${origin} to the spool file ${path}: ${error?.message ?? 'wrote nothing'}`, { path: path!, ...(error === null ? {} : { cause: error }) });
          pendingBytes -= piece.length - done;
          wake();
          return;
        }
        pendingBytes -= written;
        if (done + written < piece.length) step(done + written);
        wake();
      });
    };
    pendingBytes += piece.length;
    step(0);
  };

  /** Pieces smaller than {@link GATHER_SIZE}, gathered for one write; they end at `end`. */
  let gathered = new Uint8Array(GATHER_SIZE);
  let gatheredBytes = 0;
  const writeGathered = (out: number): void => {
    if (gatheredBytes === 0) return;
    writeAt(out, gathered.subarray(0, gatheredBytes), end - gatheredBytes, 'the spooled files');
    gathered = new Uint8Array(GATHER_SIZE); // the one written stays the write's until it is done
    gatheredBytes = 0;
  };

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
      if (!inArchive && (pendingBytes > 0 || gatheredBytes > 0)) throw new SquashfsError('IO', `${origin}: read before its spool was flushed`);
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
        await pieces.skip();
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
        if (failure !== undefined) throw failure;
        if (piece.length >= GATHER_SIZE) {
          writeGathered(out);
          writeAt(out, piece, end, origin);
        } else {
          // Small files are gathered into one write: a write call each cost more than the file.
          if (gatheredBytes + piece.length > GATHER_SIZE) writeGathered(out);
          gathered.set(piece, gatheredBytes);
          gatheredBytes += piece.length;
        }
        end += piece.length;
        if (pendingBytes > WRITES_IN_FLIGHT) await settled(WRITES_IN_FLIGHT, true);
      }
      return spooled(offset, size, origin);
    },
    async flush() {
      if (fd !== undefined) writeGathered(fd);
      await settled(0, true);
      if (failure !== undefined) throw failure;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (archiveFd !== undefined) closeSync(archiveFd);
      if (fd === undefined) return;
      // Not while a write is running (after a failure elsewhere): its file descriptor could be
      // another file's by then.
      await settled(0, false);
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
