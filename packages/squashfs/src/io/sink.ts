/**
 * Where an image is written. The superblock is written last at offset 0, and duplicate files are
 * dropped by writing the next data over them, so the sink is positional.
 */
export interface ImageSink {
  /** Writes `data` at byte `position`. Calls are awaited in order by the writer. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Reads back bytes already written (used to byte-compare dedup candidates). Optional. */
  read?(position: number, length: number): Promise<Uint8Array>;
  /** Sets the final length (the image is padded to 4 KiB by the writer, then truncated to it). */
  truncate?(length: number): Promise<void>;
  /** Called once after the last write of a successful image (a file sink renames its temp file here). */
  close(): Promise<void>;
  /** Called instead of close() when writing fails or is aborted: discard everything. */
  abort(reason?: unknown): Promise<void>;
}

/** Random-access input for the reader. */
export interface ImageSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `position` (fewer only at the end of the source). */
  read(position: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** An in-memory sink; `bytes()` returns the image after close(). */
export class MemorySink implements ImageSink {
  private buf = new Uint8Array(1 << 16);
  private length = 0;
  private closed = false;

  async write(data: Uint8Array, position: number): Promise<void> {
    const end = position + data.length;
    if (end > this.buf.length) {
      let cap = this.buf.length;
      while (cap < end) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(data, position);
    if (end > this.length) this.length = end;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    return this.buf.slice(position, Math.min(position + length, this.length));
  }

  async truncate(length: number): Promise<void> {
    if (length > this.buf.length) await this.write(new Uint8Array(0), length);
    if (length > this.length) this.buf.fill(0, this.length, length);
    this.length = length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async abort(): Promise<void> {
    this.length = 0;
  }

  /** The image written so far (a copy). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** An ImageSource over bytes in memory. */
export function sourceFromBytes(bytes: Uint8Array): ImageSource {
  return {
    size: bytes.length,
    async read(position, length) {
      return bytes.subarray(position, Math.min(position + length, bytes.length));
    },
  };
}
