import { SquashfsError } from '../errors.js';
import type { ImageSink } from '../io/sink.js';

/** Bytes handed to the sink and not yet written before append() waits. */
const MAX_UNSETTLED_BYTES = 8 << 20;

/**
 * The positional write cursor over the sink. Writes are issued one after the other, in call order
 * (each starts when the previous one finished), without making the caller wait for each: up to
 * 8 MiB may be in flight, so the block pipeline does not stall on the sink. `settle()` waits for
 * all of them. Every sink failure becomes SquashfsError IO (with the cause), reported by the next
 * append() or settle(). The offset can be moved back to drop data (deduplicated files).
 */
export class SinkCursor {
  /** Next free absolute byte offset. */
  pos: number;
  bytesOut = 0;

  private readonly sink: ImageSink;
  private chain: Promise<void> = Promise.resolve();
  private unsettled = 0;
  private failure: SquashfsError | null = null;

  constructor(sink: ImageSink, start: number) {
    this.sink = sink;
    this.pos = start;
  }

  /** Appends `data` (not to be modified afterwards) at the cursor; returns its position. */
  async append(data: Uint8Array): Promise<number> {
    if (this.failure !== null) throw this.failure;
    const at = this.pos;
    this.pos += data.length;
    this.bytesOut += data.length;
    if (data.length > 0) {
      this.unsettled += data.length;
      this.chain = this.chain.then(async () => {
        if (this.failure !== null) return;
        try {
          await writeAt(this.sink, data, at);
        } catch (e) {
          this.failure = e instanceof SquashfsError ? e : new SquashfsError('IO', describe(e), { cause: e });
        } finally {
          this.unsettled -= data.length;
        }
      });
      if (this.unsettled > MAX_UNSETTLED_BYTES) await this.settle();
    }
    return at;
  }

  /** Waits until every write issued so far is done; throws the first failure. */
  async settle(): Promise<void> {
    await this.chain;
    if (this.failure !== null) throw this.failure;
  }

  /** Moves the cursor back to `pos` (the bytes after it are overwritten later or truncated). */
  rewind(pos: number): void {
    if (pos > this.pos) throw new RangeError('rewind forward');
    this.pos = pos;
  }
}

export async function writeAt(sink: ImageSink, data: Uint8Array, position: number): Promise<void> {
  if (data.length === 0) return;
  try {
    await sink.write(data, position);
  } catch (cause) {
    throw new SquashfsError('IO', `writing ${data.length} bytes at offset ${position} failed: ${describe(cause)}`, { offset: position, cause });
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
