/**
 * The Node convenience for writing an image file: node:zlib / zstd codecs, node:crypto SHA-256 for
 * duplicate detection, and an atomic file sink (temp file renamed at the end).
 */
import { writeImage } from '../writer/write-image.js';
import type { WriteOptions, WriteResult } from '../writer/options.js';
import type { DirNode } from '../tree/node.js';
import type { Tree } from '../tree/tree.js';
import { nodeCodecs } from './codecs.js';
import { createFileSink, sha256Hasher, type FileSinkOptions } from './file-io.js';

export interface WriteImageFileOptions extends WriteOptions {
  /** Options of the file sink (fsync, mode, write buffer). */
  sink?: FileSinkOptions;
}

/**
 * Writes a SquashFS image of `root` to the file `path` (atomically: nothing appears at `path` on
 * failure). Defaults: `codecs` = {@link nodeCodecs}, `hasher` = node:crypto SHA-256. Same output
 * bytes as `writeImage` with those options.
 */
export async function writeImageFile(root: DirNode | Tree, path: string, options: WriteImageFileOptions = {}): Promise<WriteResult> {
  const { sink: sinkOptions, ...rest } = options;
  const sink = await createFileSink(path, sinkOptions);
  return writeImage(root, sink, { ...rest, codecs: rest.codecs ?? nodeCodecs, hasher: rest.hasher ?? sha256Hasher });
}
