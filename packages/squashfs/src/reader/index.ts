// The hardened SquashFS reader: SquashfsImage (open/stat/readdir/walk/read), inspect and verify.
export { SquashfsImage, type OpenOptions } from './image.js';
export type { EntryStat, EntryKind } from './entry.js';
export { modeString } from './entry.js';
export type { Superblock, SuperblockFlags } from './superblock.js';
export type { ReaderLimits } from './limits.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { Structure } from './corrupt.js';
export { inspectImage, formatInspect, type InspectReport, type InspectEntry } from './inspect.js';
export { verifyImage, type VerifyOptions, type VerifyReport, type VerifyProblem, type VerifyStats } from './verify.js';
export type { Inode, DirInode, FileInode, SymlinkInode, DeviceInode, IpcInode } from './inode.js';
export type { DirEntry, Listing } from './directory.js';
