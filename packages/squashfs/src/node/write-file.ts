/**
 * The Node convenience for writing an image file: the parallel Node codecs and an atomic file sink
 * (temp file renamed at the end). Duplicate detection uses the writer's default hasher, which is
 * node:crypto's SHA-256 on every supported Node (and hashes small files in one call).
 */
import { writeImage } from '../writer/write-image.js';
import type { WriteOptions, WriteResult } from '../writer/options.js';
import type { DirNode } from '../tree/node.js';
import type { Tree } from '../tree/tree.js';
import { nodeCodecs } from './codecs.js';
import { createFileSink, type FileSinkOptions } from './file-io.js';

export interface WriteImageFileOptions extends WriteOptions {
  /** Options of the file sink (fsync, mode, write buffer). */
  sink?: FileSinkOptions;
}

/**
 * Writes a SquashFS image of `root` to the file `path` (atomically: nothing appears at `path` on
 * failure). Defaults: `codecs` = {@link nodeCodecs}; `hasher` as `writeImage` (node:crypto SHA-256).
 * Same output bytes as `writeImage` with those options.
 */
export async function writeImageFile(root: DirNode | Tree, path: string, options: WriteImageFileOptions = {}): Promise<WriteResult> {
  const { sink: sinkOptions, ...rest } = options;
  const sink = await createFileSink(path, sinkOptions);
  return writeImage(root, sink, { ...rest, codecs: rest.codecs ?? nodeCodecs });
}
