// The hardened SquashFS reader: SquashfsImage (open/stat/readdir/walk/read), inspect and verify.
export { SquashfsImage, type OpenOptions } from './image.js';
export type { EntryStat, EntryKind } from './entry.js';
export { modeString } from './entry.js';
export type { Superblock, SuperblockFlags } from './superblock.js';
export type { ReaderLimits } from './limits.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { Structure } from './corrupt.js';
