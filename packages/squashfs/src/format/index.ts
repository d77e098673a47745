// On-disk SquashFS 4.0 structures: encoders, and small decoders used by golden tests.
export * from './constants.js';
export { LeWriter, LeReader } from './le.js';
export { encodeSuperblock, decodeSuperblock, type Superblock } from './superblock.js';
export { encodeInode, decodeInode, encodeRdev, decodeRdev, basicType, INODE_TYPE, type InodeRecord, type InodeHeader, type DirIndexEntry } from './inode.js';
export * from './directory.js';
export * from './lookup-table.js';
export * from './fragment-table.js';
export * from './id-table.js';
export * from './export-table.js';
export * from './xattr-table.js';
export { MetadataWriter, readMetadataBlocks, type MetadataCompressor, type MetadataCompressorAsync, type MetadataTable } from '../metadata/metadata-writer.js';
