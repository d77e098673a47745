import type { FilePlacement } from './file-writer.js';
import { toHex } from './sha256.js';

/**
 * Remembers where each distinct file content was stored, by its SHA-256 (hex): the digest the
 * writer computed (of the plain bytes; a file with all-zero blocks is hashed without them, see
 * file-writer.ts) or the one its source declared (FileContent.sha256, a checked SHA-256 of the
 * plain bytes): one key space, so a declared file and an identical file the writer hashed share
 * their data, as mksquashfs would store them once. A placement matches only a file of its own size.
 */
export class DedupIndex {
  private readonly map = new Map<string, FilePlacement>();

  /** The key of a digest given as bytes (the same as its lowercase hex). */
  static key(digest: Uint8Array): string {
    return toHex(digest);
  }

  /** Where a file of `size` bytes whose digest is `key` was stored, if one was. */
  get(key: string, size: number): FilePlacement | undefined {
    const placement = this.map.get(key);
    return placement !== undefined && placement.size === size ? placement : undefined;
  }

  /** Records the first placement of a digest (a later one, even of another size, is not kept). */
  set(key: string, placement: FilePlacement): void {
    if (!this.map.has(key)) this.map.set(key, placement);
  }
}
