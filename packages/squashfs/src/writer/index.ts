// Owned by the writer: exports writeImage and the option/result types.
export type { WriteOptions, WriteProgress, WriteResult } from './options.js';
export { writeImage, writeImageToBytes } from './write-image.js';
export { resolveOptions, noneCodec, defaultConcurrency } from './resolve-options.js';
export * from '../format/constants.js';
/** Encoders/decoders of every on-disk structure (for golden tests and tools). */
export * as squashfsFormat from '../format/index.js';
export { Sha256, sha256, type Hasher } from '../data/sha256.js';
export { isAllZero } from '../data/zero.js';
