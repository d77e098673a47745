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
  /** Most entries accepted in one directory (default 1,000,000). */
  maxDirectoryEntries?: number;
  /** Most data blocks in one file's block list (default 2^23: 1 TiB with 128 KiB blocks). */
  maxBlocksPerFile?: number;
  /** Most bytes of xattr names and values on one inode (default 1 MiB). */
  maxXattrBytesPerInode?: number;
}

export type ResolvedLimits = Required<ReaderLimits>;

export const DEFAULT_LIMITS: ResolvedLimits = {
  maxReadFileBytes: 1 << 30,
  maxSymlinkBytes: 65535,
  maxXattrValueBytes: 65536,
  metadataCacheBlocks: 256,
  listingCacheSize: 32,
  maxDirectoryEntries: 1_000_000,
  maxBlocksPerFile: 1 << 23,
  maxXattrBytesPerInode: 1 << 20,
};

export function resolveLimits(limits: ReaderLimits | undefined): ResolvedLimits {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}
