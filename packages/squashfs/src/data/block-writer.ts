import { SquashfsError } from '../errors.js';
import type { ImageSink } from '../io/sink.js';

/**
 * The positional write cursor over the sink. Every sink failure becomes SquashfsError IO (with
 * the cause); the offset can be moved back to drop data (deduplicated files).
 */
export class SinkCursor {
  /** Next free absolute byte offset. */
  pos: number;
  bytesOut = 0;

  private readonly sink: ImageSink;

  constructor(sink: ImageSink, start: number) {
    this.sink = sink;
    this.pos = start;
  }

  /** Appends `data` at the cursor; returns its position. */
  async append(data: Uint8Array): Promise<number> {
    const at = this.pos;
    await writeAt(this.sink, data, at);
    this.pos += data.length;
    this.bytesOut += data.length;
    return at;
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
