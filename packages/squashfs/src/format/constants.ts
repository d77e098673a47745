/** SquashFS 4.0 on-disk constants (linux fs/squashfs/squashfs_fs.h). */

export const SQUASHFS_MAGIC = 0x73717368;
export const SQUASHFS_MAJOR = 4;
export const SQUASHFS_MINOR = 0;
export const SQUASHFS_SUPERBLOCK_SIZE = 96;

/** Uncompressed size of a metadata block. */
export const SQUASHFS_METADATA_SIZE = 8192;
/** Bit 15 of a metadata block header: the block is stored uncompressed. */
export const SQUASHFS_METADATA_UNCOMPRESSED = 0x8000;
/** Bit 24 of a data block size word or a fragment entry size: stored uncompressed. */
export const SQUASHFS_DATA_UNCOMPRESSED = 0x100_0000;

export const SQUASHFS_MIN_BLOCK_SIZE = 4096;
export const SQUASHFS_MAX_BLOCK_SIZE = 1 << 20;
export const SQUASHFS_DEFAULT_BLOCK_SIZE = 128 * 1024;

/** Longest entry name in bytes. */
export const SQUASHFS_NAME_LEN = 256;
/** Most entries under one directory header. */
export const SQUASHFS_DIR_COUNT = 256;
/** Fragment index / xattr index meaning "none". */
export const SQUASHFS_INVALID_FRAG = 0xffff_ffff;
export const SQUASHFS_INVALID_XATTR = 0xffff_ffff;
/** Superblock table start meaning "no table" (u64 all ones). */
export const SQUASHFS_INVALID_BLK = 0xffff_ffff_ffff_ffffn;
/**
 * Distinct uid/gid values an image can hold. Inodes index them with a u16 (65536 slots), but the
 * superblock count `no_ids` is a u16 too, so 65536 ids would be written as 0 (which the kernel
 * rejects): 65535 is the real limit.
 */
export const SQUASHFS_MAX_IDS = 65535;

/** Inode types. */
export const SQUASHFS_DIR_TYPE = 1;
export const SQUASHFS_REG_TYPE = 2;
export const SQUASHFS_SYMLINK_TYPE = 3;
export const SQUASHFS_BLKDEV_TYPE = 4;
export const SQUASHFS_CHRDEV_TYPE = 5;
export const SQUASHFS_FIFO_TYPE = 6;
export const SQUASHFS_SOCKET_TYPE = 7;
export const SQUASHFS_LDIR_TYPE = 8;
export const SQUASHFS_LREG_TYPE = 9;
export const SQUASHFS_LSYMLINK_TYPE = 10;
export const SQUASHFS_LBLKDEV_TYPE = 11;
export const SQUASHFS_LCHRDEV_TYPE = 12;
export const SQUASHFS_LFIFO_TYPE = 13;
export const SQUASHFS_LSOCKET_TYPE = 14;

/** Superblock flags. */
export const SQUASHFS_NOI = 0x0001;
export const SQUASHFS_NOD = 0x0002;
export const SQUASHFS_CHECK = 0x0004;
export const SQUASHFS_NOF = 0x0008;
export const SQUASHFS_NO_FRAG = 0x0010;
export const SQUASHFS_ALWAYS_FRAG = 0x0020;
export const SQUASHFS_DUPLICATES = 0x0040;
export const SQUASHFS_EXPORT = 0x0080;
export const SQUASHFS_NOX = 0x0100;
export const SQUASHFS_NO_XATTR = 0x0200;
export const SQUASHFS_COMP_OPT = 0x0400;
export const SQUASHFS_NOID = 0x0800;

/** Compressor ids. */
export const SQUASHFS_ZLIB = 1;
export const SQUASHFS_LZMA = 2;
export const SQUASHFS_LZO = 3;
export const SQUASHFS_XZ = 4;
export const SQUASHFS_LZ4 = 5;
export const SQUASHFS_ZSTD = 6;

/** Xattr name prefixes and their type ids; bit 0x100 marks an out-of-line value. */
export const SQUASHFS_XATTR_USER = 0;
export const SQUASHFS_XATTR_TRUSTED = 1;
export const SQUASHFS_XATTR_SECURITY = 2;
export const SQUASHFS_XATTR_VALUE_OOL = 0x100;
export const SQUASHFS_XATTR_PREFIXES = ['user.', 'trusted.', 'security.'] as const;

/** Lookup-table entry sizes. */
export const SQUASHFS_ID_ENTRY_SIZE = 4;
export const SQUASHFS_FRAGMENT_ENTRY_SIZE = 16;
export const SQUASHFS_EXPORT_ENTRY_SIZE = 8;
export const SQUASHFS_XATTR_ID_ENTRY_SIZE = 16;

export const U16_MAX = 0xffff;
export const U32_MAX = 0xffff_ffff;
/** 2^32: files or block starts at or above it need an extended regular inode. */
export const TWO_POW_32 = 0x1_0000_0000;
