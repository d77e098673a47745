import { Gunzip } from 'fflate';
import { SquashfsError } from '../errors.js';
import { crc32 } from './crc32.js';

/** A source of bytes in chunks of any size: a Node Readable, a web stream's iterator, an array. */
export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Sequential reader over a chunked byte stream: exact-length reads, skips, and the count of bytes
 * consumed (`position`) for error messages. Holds at most the chunks needed for the current read.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes handed out or skipped so far. */
  position = 0;

  constructor(source: ByteChunks) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  /** Buffers until `n` bytes are available or the stream ends; returns the bytes available (≤ n). */
  async fill(n: number): Promise<number> {
    while (this.buffered < n && !this.done) {
      const result = await this.iterator.next();
      if (result.done === true) {
        this.done = true;
        break;
      }
      const chunk = result.value;
      if (!(chunk instanceof Uint8Array)) {
        throw new SquashfsError('INVALID_ARGUMENT', `a byte stream yielded ${typeof chunk}, not a Uint8Array`);
      }
      if (chunk.length > 0) {
        this.chunks.push(chunk);
        this.buffered += chunk.length;
      }
    }
    return Math.min(n, this.buffered);
  }

  /** The next `n` buffered bytes without consuming them (fewer at the end of the stream). */
  async peek(n: number): Promise<Uint8Array> {
    const available = await this.fill(n);
    return this.copyOut(available, false);
  }

  /** Reads up to `n` bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Uint8Array> {
    const available = await this.fill(n);
    return this.copyOut(available, true);
  }

  /**
   * Reads exactly `into.length` bytes into `into`, pulling chunk by chunk so a large file never
   * needs a second copy. Returns how many bytes were read (less than asked only at the end).
   */
  async readInto(into: Uint8Array): Promise<number> {
    let done = 0;
    while (done < into.length) {
      if (this.buffered === 0 && (await this.fill(1)) === 0) break;
      const first = this.chunks[0]!;
      const take = Math.min(first.length, into.length - done);
      into.set(first.subarray(0, take), done);
      this.consume(take);
      done += take;
    }
    return done;
  }

  /** Skips up to `n` bytes; returns how many were skipped (less than asked only at the end). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && (await this.fill(1)) === 0) break;
      const take = Math.min(this.chunks[0]!.length, left);
      this.consume(take);
      left -= take;
    }
    return n - left;
  }

  /** Yields whatever is buffered, then the rest of the stream, chunk by chunk. */
  async *drain(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.buffered === 0 && (await this.fill(1)) === 0) return;
      const chunk = this.chunks[0]!;
      this.consume(chunk.length);
      yield chunk;
    }
  }

  /** Releases the underlying iterator (for example when the archive ends before the stream). */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }

  private copyOut(n: number, consume: boolean): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.slice(0, n);
    } else {
      out = new Uint8Array(n);
      let at = 0;
      for (const chunk of this.chunks) {
        const take = Math.min(chunk.length, n - at);
        out.set(chunk.subarray(0, take), at);
        at += take;
        if (at === n) break;
      }
    }
    if (consume) this.consume(n);
    return out;
  }

  private consume(n: number): void {
    let left = n;
    this.buffered -= n;
    this.position += n;
    while (left > 0) {
      const first = this.chunks[0]!;
      if (first.length <= left) {
        this.chunks.shift();
        left -= first.length;
      } else {
        this.chunks[0] = first.subarray(left);
        left = 0;
      }
    }
  }
}

const MAGICS: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68, -1, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59]],
  ['lzip', [0x4c, 0x5a, 0x49, 0x50, 0x01]],
];

/**
 * Passes the stream through, gunzipping it (streaming, fflate) when it starts with the gzip magic
 * 1f 8b. Other compressions are recognised by their magic and refused with UNSUPPORTED.
 */
export async function* maybeGunzip(source: ByteChunks, what: string): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(source);
  try {
    yield* gunzipFrom(reader, what);
  } finally {
    await reader.close();
  }
}

async function* gunzipFrom(reader: ByteReader, what: string): AsyncGenerator<Uint8Array> {
  const head = await reader.peek(10);
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    for (const [name, magic] of MAGICS) {
      if (magic.every((b, i) => head[i] === b || (b < 0 && head[i] !== undefined))) {
        throw new SquashfsError('UNSUPPORTED', `${what} is ${name}-compressed; only gzip is decompressed here (decompress it first)`);
      }
    }
    yield* reader.drain();
    return;
  }
  const out: Uint8Array[] = [];
  let crc = 0;
  let length = 0;
  let members = 0;
  const gunzip = new Gunzip((chunk) => {
    if (chunk.length > 0) {
      out.push(chunk);
      crc = crc32(chunk, crc);
      length = (length + chunk.length) >>> 0;
    }
  });
  gunzip.onmember = () => {
    members++; // called for the second and later members only
  };
  const corrupt = (why: string, cause?: unknown): SquashfsError =>
    new SquashfsError('INVALID_ARGUMENT', `corrupt gzip stream in ${what} at compressed byte ${reader.position}: ${why}`, { cause, offset: reader.position });
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      gunzip.push(chunk, final);
    } catch (e) {
      throw corrupt(e instanceof Error ? e.message : String(e), e);
    }
  };
  // The last 8 compressed bytes: the trailer (CRC-32 and size mod 2^32) of the last member.
  const tail = new Uint8Array(8);
  let tailLength = 0;
  const remember = (chunk: Uint8Array): void => {
    if (chunk.length >= 8) {
      tail.set(chunk.subarray(chunk.length - 8));
      tailLength = 8;
    } else {
      const keep = Math.min(tailLength, 8 - chunk.length);
      tail.copyWithin(0, tailLength - keep, tailLength);
      tail.set(chunk, keep);
      tailLength = keep + chunk.length;
    }
  };
  for (;;) {
    const chunk = await reader.read(1 << 16);
    if (chunk.length > 0) remember(chunk);
    push(chunk, chunk.length === 0);
    while (out.length > 0) yield out.shift()!;
    if (chunk.length === 0) break;
  }
  // fflate does not check the trailer; for a single-member stream (what gzip and tar write) check
  // it here, which also catches a stream cut short.
  if (members === 0) {
    const view = new DataView(tail.buffer);
    if (tailLength < 8 || view.getUint32(0, true) !== crc || view.getUint32(4, true) !== length) {
      throw corrupt('CRC-32 or length in the gzip trailer does not match the data (corrupt or truncated download?)');
    }
  }
}
