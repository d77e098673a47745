/**
 * Image files on disk: a sink that writes to a temp file next to the target and renames it over
 * the target only when the image is complete, signal-time cleanup of such temp files, and the
 * SHA-256 hasher the writer's duplicate detection can use.
 */
import { createHash, randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SquashfsError } from '../errors.js';
import type { ImageSink } from '../io/sink.js';
import { hasherOf, type Hasher } from '../data/sha256.js';

export interface FileSinkOptions {
  /** fsync the file before the rename (and the directory after it). Default false. */
  fsync?: boolean;
  /** Permission bits of a new file, before the umask. Default 0o666 (as any created file). */
  mode?: number;
  /** Sequential writes are gathered up to this many bytes before a write(2). Default 1 MiB; 0 disables. */
  bufferSize?: number;
  /**
   * Compute the SHA-256 of the finished file at close() ({@link FileSink.sha256}): read back from
   * the temp file while it is closed and renamed (on ext4, renaming over an existing file makes
   * the kernel allocate the file's delayed blocks: tens of ms that the hashing now overlaps).
   */
  sha256?: boolean;
  /**
   * close() leaves the finished file at {@link FileSink.tempPath} (complete, closed, still
   * hashed in the background) instead of renaming it: {@link FileSink.commit} renames it over
   * `path`, abort() removes it. For a caller that checks the image before it replaces anything.
   */
  deferRename?: boolean;
}

export interface FileSink extends ImageSink {
  /** The target path (only written at close()). */
  readonly path: string;
  /** The temp file the image is written to until close(). */
  readonly tempPath: string;
  read(position: number, length: number): Promise<Uint8Array>;
  truncate(length: number): Promise<void>;
  /**
   * SHA-256 (hex) of the file when `sha256` was asked for: once close() has resolved, or with
   * `deferRename`, once commit() has.
   */
  readonly sha256: string | undefined;
  /**
   * With `deferRename`: renames the closed file over `path` (once its hash is done). Fails
   * (removing the file) if the sink is not closed; abort() instead removes the file.
   */
  commit(): Promise<void>;
}

/**
 * SHA-256 (hex) of a file: read in 2 MiB pieces into two buffers used in turn, the next piece
 * read while the current one is hashed (no stream, no garbage per piece).
 */
export async function sha256OfFile(path: string): Promise<string> {
  return sha256OfHandle(await open(path, 'r'));
}

/** {@link sha256OfFile} of an open file, from its start; closes `handle`. */
async function sha256OfHandle(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  try {
    const buffers = [Buffer.allocUnsafeSlow(2 << 20), Buffer.allocUnsafeSlow(2 << 20)] as const;
    let turn = 0;
    let pending = handle.read(buffers[0], 0, buffers[0].length, null);
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) break;
      turn ^= 1;
      pending = handle.read(buffers[turn], 0, buffers[turn].length, null);
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Temp files of sinks that are neither closed nor aborted (removed on a signal or at exit). */
const liveTempFiles = new Set<string>();

function ioError(message: string, path: string, cause: unknown): SquashfsError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SquashfsError('IO', `${message}: ${reason}`, { path, cause });
}

/**
 * Opens a sink that writes `path` atomically: the image goes to `.<name>.tmp-<random>` in the same
 * directory, close() renames it over `path`, abort() removes it and leaves an existing `path` as it was.
 */
export async function createFileSink(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
  const tempPath = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, 'wx+', options.mode ?? 0o666);
  } catch (error) {
    throw ioError(`cannot create ${tempPath}`, path, error);
  }
  liveTempFiles.add(tempPath);
  return new TempFileSink(path, tempPath, handle, options);
}

class TempFileSink implements FileSink {
  readonly path: string;
  readonly tempPath: string;
  private readonly handle: FileHandle;
  private readonly fsync: boolean;
  private readonly hashOnClose: boolean;
  private readonly deferRename: boolean;
  /** The hash of the closed file, on its way (with `deferRename`, until commit()). */
  private hashing: Promise<string> | undefined;
  sha256: string | undefined;
  private readonly bufferSize: number;
  private buffer: Uint8Array;
  /** File position of buffer[0] and bytes buffered. */
  private bufferStart = 0;
  private buffered = 0;
  /** 'staged': closed, its rename deferred until commit() (or its removal by abort()). */
  private state: 'open' | 'staged' | 'closed' | 'aborted' | 'failed' = 'open';
  /** Operations run one at a time, in call order. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(path: string, tempPath: string, handle: FileHandle, options: FileSinkOptions) {
    this.path = path;
    this.tempPath = tempPath;
    this.handle = handle;
    this.fsync = options.fsync ?? false;
    this.hashOnClose = options.sha256 === true;
    this.deferRename = options.deferRename === true;
    this.bufferSize = Math.max(0, options.bufferSize ?? 1 << 20);
    this.buffer = new Uint8Array(0);
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return this.run('write', async () => {
      if (!Number.isSafeInteger(position) || position < 0) {
        throw new SquashfsError('INVALID_ARGUMENT', `invalid write position ${position}`, { path: this.path });
      }
      if (this.buffered > 0 && position === this.bufferStart + this.buffered && this.buffered + data.length <= this.bufferSize) {
        this.buffer.set(data, this.buffered);
        this.buffered += data.length;
        return;
      }
      await this.flush();
      if (data.length < this.bufferSize) {
        if (this.buffer.length < this.bufferSize) this.buffer = new Uint8Array(this.bufferSize);
        this.buffer.set(data, 0);
        this.bufferStart = position;
        this.buffered = data.length;
        return;
      }
      await this.writeAll(data, position);
    });
  }

  read(position: number, length: number): Promise<Uint8Array> {
    return this.run('read', async () => {
      await this.flush();
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await this.handle.read(out, done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? out : out.subarray(0, done);
    });
  }

  truncate(length: number): Promise<void> {
    return this.run('truncate', async () => {
      await this.flush();
      await this.handle.truncate(length);
    });
  }

  close(): Promise<void> {
    return this.run('close', async () => {
      await this.flush();
      // Hashed through a handle of its own, opened before the rename (which does not affect open
      // handles), so closing and renaming need not wait for the hash.
      const hashing = this.hashOnClose ? sha256OfHandle(await open(this.tempPath, 'r')) : undefined;
      hashing?.catch(() => {}); // awaited below; a failed close or rename is reported first
      if (this.fsync) await this.handle.sync();
      await this.handle.close();
      if (this.deferRename) {
        this.hashing = hashing;
        this.state = 'staged';
        return;
      }
      this.state = 'closed';
      await this.renameOver(hashing);
    });
  }

  commit(): Promise<void> {
    const previous = this.tail;
    const done = previous
      .catch(() => {})
      .then(async () => {
        if (this.state !== 'staged') {
          throw new SquashfsError('IO', `commit on a file sink that is ${this.deferRename ? (this.state === 'closed' ? 'committed' : this.state) : 'not deferring its rename'}`, { path: this.path });
        }
        this.state = 'closed';
        try {
          await this.renameOver(this.hashing);
        } catch (error) {
          if (error instanceof SquashfsError) throw error;
          throw ioError(`commit of ${this.tempPath} failed`, this.path, error);
        }
      });
    this.tail = done.catch(() => {});
    return done;
  }

  /** Renames the closed temp file over the target (removing it if that fails), then takes the hash. */
  private async renameOver(hashing: Promise<string> | undefined): Promise<void> {
    try {
      await rename(this.tempPath, this.path);
    } catch (error) {
      await hashing?.catch(() => {});
      await unlink(this.tempPath).catch(() => {});
      throw error;
    } finally {
      liveTempFiles.delete(this.tempPath);
    }
    if (hashing !== undefined) this.sha256 = await hashing;
    if (this.fsync) await syncDirectory(dirname(this.path));
  }

  abort(): Promise<void> {
    const previous = this.tail;
    const done = previous
      .catch(() => {})
      .then(async () => {
        // Closed (renamed) is done; staged is still the temp file, which goes.
        if (this.state === 'aborted' || this.state === 'closed') return;
        const staged = this.state === 'staged';
        this.state = 'aborted';
        if (staged) await this.hashing?.catch(() => {});
        else await this.handle.close().catch(() => {});
        await unlink(this.tempPath).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw ioError(`cannot remove ${this.tempPath}`, this.path, error);
        });
        liveTempFiles.delete(this.tempPath);
      });
    this.tail = done.catch(() => {});
    return done;
  }

  private run<T>(what: string, op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      if (this.state !== 'open') {
        throw new SquashfsError('IO', `${what} on a file sink that is ${this.state}`, { path: this.path });
      }
      try {
        return await op();
      } catch (error) {
        if (this.state === 'open') this.state = 'failed';
        if (error instanceof SquashfsError) throw error;
        throw ioError(`${what} of ${this.tempPath} failed`, this.path, error);
      }
    });
    this.tail = result.catch(() => {});
    return result;
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const length = this.buffered;
    this.buffered = 0;
    await this.writeAll(this.buffer.subarray(0, length), this.bufferStart);
  }

  private async writeAll(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      if (bytesWritten === 0) throw new Error('write(2) wrote nothing');
      done += bytesWritten;
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync a directory; the rename itself is done.
  } finally {
    await handle?.close().catch(() => {});
  }
}

function removeLiveTempFiles(): void {
  for (const file of liveTempFiles) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone, or not ours to remove any more.
    }
  }
  liveTempFiles.clear();
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

const signalHandlers = new Map<NodeJS.Signals, () => void>();
let signalUsers = 0;

/**
 * Installs SIGINT/SIGTERM/SIGHUP handlers (and an exit hook) that remove the temp files of file
 * sinks still being written, then exit with 128 + the signal number (130, 143, 129). For CLIs:
 * an interrupted build leaves no temp files and exits non-zero. Calling it again adds no second
 * set of handlers. Returns a function that uninstalls them (after its last caller).
 */
export function removeTempFilesOnSignal(): () => void {
  if (signalUsers++ === 0) {
    for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES) as [NodeJS.Signals, number][]) {
      const handler = (): void => {
        removeLiveTempFiles();
        process.exit(code);
      };
      signalHandlers.set(signal, handler);
      process.on(signal, handler);
    }
    process.on('exit', removeLiveTempFiles);
  }
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    if (--signalUsers > 0) return;
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
    signalHandlers.clear();
    process.off('exit', removeLiveTempFiles);
  };
}

/**
 * Registers a temp file of this process (a spool) with the ones {@link removeTempFilesOnSignal}
 * removes; `false` takes it off again (once removed by its owner).
 */
export function trackTempFile(path: string, live: boolean): void {
  if (live) liveTempFiles.add(path);
  else liveTempFiles.delete(path);
}

/** Temp files of file sinks (and spools) that are still open (for diagnostics and tests). */
export function liveTempFilePaths(): string[] {
  return [...liveTempFiles];
}

/** An incremental SHA-256 (node:crypto), the shape WriteOptions' hasher takes. */
export function sha256Hasher(): Hasher {
  return hasherOf(createHash('sha256'));
}
