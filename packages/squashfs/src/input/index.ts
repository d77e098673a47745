// Inputs of the encoder that need no Node APIs: tar stream import, metadata overrides.
export * from './glob.js';
export * from './overrides.js';
export * from './tar.js';
export { isStorableXattr, STORABLE_XATTR_PREFIXES, XattrNameFilter } from './xattr-names.js';
export type { ByteChunks } from './byte-reader.js';
