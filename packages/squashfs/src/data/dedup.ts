import type { FilePlacement } from './file-writer.js';

/** Remembers where each distinct file content (SHA-256 of the full content + size) was stored. */
export class DedupIndex {
  private readonly map = new Map<string, FilePlacement>();

  static key(digest: Uint8Array, size: number): string {
    let hex = '';
    for (const b of digest) hex += b.toString(16).padStart(2, '0');
    return DedupIndex.keyFromHex(hex, size);
  }

  /** The key of a digest given as lowercase hex (the same key as {@link key} for its bytes). */
  static keyFromHex(hex: string, size: number): string {
    return `${hex}:${size}`;
  }

  get(key: string): FilePlacement | undefined {
    return this.map.get(key);
  }

  set(key: string, placement: FilePlacement): void {
    if (!this.map.has(key)) this.map.set(key, placement);
  }
}
