/** Node.js adapters: files, directories, parallel codecs. The only place that imports node:*. */
export * from './codecs.js';
export * from './file-io.js';
export * from './directory.js';
export * from './extract.js';
export * from './write-file.js';
export * from './spool.js';
