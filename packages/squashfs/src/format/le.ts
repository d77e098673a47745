import { SquashfsError } from '../errors.js';

/** Little-endian field writer over a growable buffer, with range checks that throw instead of wrapping. */
export class LeWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number, field = 'u8'): this {
    checkRange(v, 0xff, field);
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
    return this;
  }

  u16(v: number, field = 'u16'): this {
    checkRange(v, 0xffff, field);
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }

  s16(v: number, field = 's16'): this {
    if (!Number.isInteger(v) || v < -32768 || v > 32767) {
      throw new SquashfsError('LIMIT_EXCEEDED', `${field} value ${v} does not fit in a signed 16-bit field`, { structure: field });
    }
    this.ensure(2);
    this.view.setInt16(this.length, v, true);
    this.length += 2;
    return this;
  }

  u32(v: number, field = 'u32'): this {
    checkRange(v, 0xffff_ffff, field);
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }

  /** u64 from a safe integer number, or a bigint (for 0xFFFF...FF markers). */
  u64(v: number | bigint, field = 'u64'): this {
    this.ensure(8);
    if (typeof v === 'bigint') {
      if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new SquashfsError('LIMIT_EXCEEDED', `${field} value ${v} does not fit in 64 bits`, { structure: field });
      this.view.setBigUint64(this.length, v, true);
    } else {
      checkRange(v, Number.MAX_SAFE_INTEGER, field);
      this.view.setUint32(this.length, v % 0x1_0000_0000, true);
      this.view.setUint32(this.length + 4, Math.floor(v / 0x1_0000_0000), true);
    }
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** The buffer the bytes go to: `data.subarray(0, length)` was written (valid until the next write). */
  get data(): Uint8Array {
    return this.buf;
  }

  /** Starts over (keeps the buffer). */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** The bytes written (a view, valid until the next write). */
  view_(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function checkRange(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new SquashfsError('LIMIT_EXCEEDED', `${field} value ${v} does not fit (0..${max})`, { structure: field });
  }
}

/** Little-endian reader for the small decoders used by golden tests. */
export class LeReader {
  private readonly view: DataView;
  pos: number;

  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = offset;
  }

  u8(): number {
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  s16(): number {
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** u64 as a number (throws above 2^53). */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`u64 ${v} exceeds the safe integer range`);
    return Number(v);
  }
  take(n: number): Uint8Array {
    const b = this.bytes.subarray(this.pos, this.pos + n);
    if (b.length !== n) throw new RangeError(`short read: wanted ${n} bytes at ${this.pos}`);
    this.pos += n;
    return b;
  }
}
