import type { FileContent, FileNode } from '../tree/node.js';

/** How far small files are read ahead of the writer. */
export interface ReadAheadLimits {
  /** Files read ahead at most (0 turns read-ahead off). */
  files: number;
  /** Declared bytes held by files read ahead and not yet consumed. */
  bytes: number;
  /** Only files with a declared size up to this are read ahead. */
  maxFileSize: number;
}

export const DEFAULT_READ_AHEAD: ReadAheadLimits = { files: 64, bytes: 16 << 20, maxFileSize: 1 << 20 };

interface Fetched {
  chunks: unknown[];
  /** Where reading failed: open() threw, or the iteration did. */
  error?: { opening: boolean; cause: unknown };
}

/**
 * Reads small files ahead of the writer, a bounded number at once, so that opening and reading
 * many small files overlaps (each is a round trip to the file system). The writer still consumes
 * contents strictly in order and sees exactly what a direct read would give it: the same chunks,
 * then the same error (if any), each content opened once.
 */
export class ReadAhead {
  private readonly files: readonly { node: FileNode; path: string }[];
  private readonly limits: ReadAheadLimits;
  private readonly fetched = new Map<number, Promise<Fetched>>();
  /** Next index to consider for reading ahead. */
  private next = 0;
  private held = 0;
  private cancelled = false;

  constructor(files: readonly { node: FileNode; path: string }[], limits: ReadAheadLimits = DEFAULT_READ_AHEAD) {
    this.files = files;
    this.limits = limits;
  }

  /**
   * The content of file `i` (call in order): the file's own, synchronously, unless it was read
   * ahead (then a promise of its replay).
   */
  content(i: number): FileContent | Promise<FileContent> {
    const own = this.files[i]!.node.content;
    const pending = this.fetched.get(i);
    if (pending !== undefined) {
      this.fetched.delete(i);
      this.held -= own.size ?? 0;
    }
    if (this.next <= i) this.next = i + 1;
    this.fill(i);
    if (pending === undefined) return own;
    return pending.then((got) => {
      const open = (): Iterable<Uint8Array> => {
        if (got.error?.opening === true) throw got.error.cause;
        return replay(got);
      };
      return {
        ...(own.size === undefined ? {} : { size: own.size }),
        ...(own.origin === undefined ? {} : { origin: own.origin }),
        ...(own.sha256 === undefined ? {} : { sha256: own.sha256 }),
        open,
      };
    });
  }

  /** Starts no further reads (those running finish on their own and are dropped). */
  cancel(): void {
    this.cancelled = true;
    this.fetched.clear();
  }

  private fill(current: number): void {
    const { files, bytes, maxFileSize } = this.limits;
    while (!this.cancelled && this.next < this.files.length && this.next <= current + files && this.fetched.size < files) {
      const content = this.files[this.next]!.node.content;
      const size = content.size;
      // In memory already, or read synchronously by the writer (`readInto`): nothing to overlap.
      if (size === undefined || size > maxFileSize || size === 0 || content.bytes !== undefined || content.readInto !== undefined) {
        this.next++;
        continue;
      }
      if (this.held + size > bytes && this.fetched.size > 0) return;
      this.held += size;
      this.fetched.set(this.next, fetch(content, size));
      this.next++;
    }
  }
}

function* replay(got: Fetched): Generator<Uint8Array> {
  for (const c of got.chunks) yield c as Uint8Array;
  if (got.error !== undefined) throw got.error.cause;
}

async function fetch(content: FileContent, size: number): Promise<Fetched> {
  let source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  try {
    source = content.open();
  } catch (cause) {
    return { chunks: [], error: { opening: true, cause } };
  }
  const chunks: unknown[] = [];
  let total = 0;
  try {
    const it =
      source !== null && typeof source === 'object' && Symbol.asyncIterator in source
        ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
        : (source as Iterable<Uint8Array>)[Symbol.iterator]();
    for (;;) {
      const step = await it.next();
      if (step.done) break;
      chunks.push(step.value);
      // Not bytes, or more than declared: the writer reports it; stop reading here.
      if (!(step.value instanceof Uint8Array) || (total += step.value.length) > size) {
        await it.return?.();
        break;
      }
    }
  } catch (cause) {
    return { chunks, error: { opening: false, cause } };
  }
  return { chunks };
}
