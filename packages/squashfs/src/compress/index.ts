export * from './codec.js';
export * from './levels.js';
export * from './portable.js';
export { readZstdFrameHeader, scanZstdFrames, type ZstdFrame, type ZstdFrameHeader } from './zstd-frame.js';
export { adler32 } from './adler32.js';
