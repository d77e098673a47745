// Owned by the writer: exports writeImage and the option/result types.
export type { WriteOptions, WriteProgress, WriteResult } from './options.js';
