/**
 * @sysext-bakery/squashfs: a streaming SquashFS 4.0 encoder and a hardened reader.
 * This entry point is portable (no node:* imports); Node adapters live in `./node`.
 */
export * from './errors.js';
export * from './tree/node.js';
export * from './tree/names.js';
export * from './tree/content.js';
export * from './tree/tree.js';
export * from './io/sink.js';
export * from './compress/index.js';
export * from './writer/index.js';
export * from './reader/index.js';
export * from './input/index.js';
export { loadDir, loadTree, hasLazyDirs } from './tree/lazy.js';
