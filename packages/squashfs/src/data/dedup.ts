import type { FilePlacement } from './file-writer.js';
import { toHex } from './sha256.js';

/** Remembers where each distinct file content (SHA-256 of the full content + size) was stored. */
export class DedupIndex {
  private readonly map = new Map<string, FilePlacement>();

  static key(digest: Uint8Array, size: number): string {
    return DedupIndex.keyFromHex(toHex(digest), size);
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
