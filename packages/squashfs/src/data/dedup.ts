import type { FilePlacement } from './file-writer.js';
import { toHex } from './sha256.js';

/**
 * Remembers where each distinct file content was stored, by the SHA-256 (hex) of its tagged
 * encoding, or by the digest its source declared; a placement matches only a file of its own
 * size. Keyed by the digest alone: a string of its own is hashed faster than a digest-and-size
 * string built for every file.
 */
export class DedupIndex {
  private readonly map = new Map<string, FilePlacement>();

  /** The key of a digest given as bytes (the same as its lowercase hex). */
  static key(digest: Uint8Array): string {
    return toHex(digest);
  }

  /**
   * The key of a content's declared SHA-256 (FileContent.sha256): not hex only, so it never equals
   * the key of a digest the writer computed (another encoding, or another hash function).
   */
  static declaredKey(sha256: string): string {
    return `sha256:${sha256}`;
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
