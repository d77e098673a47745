import { SquashfsError } from '../errors.js';
import type { FileContent } from './node.js';

/** File content held in memory. */
export function contentFromBytes(bytes: Uint8Array | string, origin?: string): FileContent {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return { size: data.length, bytes: data, open: () => [data], ...(origin === undefined ? {} : { origin }) };
}

/**
 * File content from a one-shot async iterable (a Node Readable is one). It can be written once;
 * `size`, when given, is enforced by the writer.
 */
export function contentFromIterable(
  iterable: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size?: number,
  origin?: string,
): FileContent {
  let used = false;
  return {
    ...(size === undefined ? {} : { size }),
    ...(origin === undefined ? {} : { origin }),
    open() {
      if (used) {
        throw new SquashfsError('UNSUPPORTED', `the content of ${origin ?? 'a streamed file'} can only be read once`);
      }
      used = true;
      return iterable;
    },
  };
}

/** File content from a factory that opens a fresh stream each time (re-readable). */
export function contentFromFactory(
  open: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size?: number,
  origin?: string,
): FileContent {
  return { open, ...(size === undefined ? {} : { size }), ...(origin === undefined ? {} : { origin }) };
}

/** File content from a WHATWG ReadableStream (one-shot). */
export function contentFromReadableStream(stream: ReadableStream<Uint8Array>, size?: number, origin?: string): FileContent {
  async function* iterate(): AsyncGenerator<Uint8Array> {
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  return contentFromIterable(iterate(), size, origin);
}

export function isFileContent(value: unknown): value is FileContent {
  return typeof value === 'object' && value !== null && typeof (value as FileContent).open === 'function';
}
