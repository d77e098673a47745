/** Resource limits of the reader. Every hostile image must stay within these bounds. */
export interface ReaderLimits {
  /** Largest file `readFile` will materialise in memory (default 1 GiB); use createReadStream beyond. */
  maxReadFileBytes?: number;
  /** Longest symlink target accepted (default 65535 bytes; the kernel refuses more than 4096). */
  maxSymlinkBytes?: number;
  /** Largest single xattr value accepted (default 65536, the Linux XATTR_SIZE_MAX). */
  maxXattrValueBytes?: number;
  /** Decompressed metadata blocks kept in the cache (default 256 = 2 MiB). */
  metadataCacheBlocks?: number;
  /** Parsed directory listings kept in the cache (default 32). */
  listingCacheSize?: number;
  /** Most entries accepted in one directory (default 4,000,000). */
  maxDirectoryEntries?: number;
}

export type ResolvedLimits = Required<ReaderLimits>;

export const DEFAULT_LIMITS: ResolvedLimits = {
  maxReadFileBytes: 1 << 30,
  maxSymlinkBytes: 65535,
  maxXattrValueBytes: 65536,
  metadataCacheBlocks: 256,
  listingCacheSize: 32,
  maxDirectoryEntries: 4_000_000,
};

export function resolveLimits(limits: ReaderLimits | undefined): ResolvedLimits {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}
