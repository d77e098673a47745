/** The squashfs functions this package builds on, in one place. */
export { writeImage, addTar } from '@sysext-bakery/squashfs';
export { createFileSink, createSpool, fromDirectory, contentFromPath, removeTempFilesOnSignal, fileImageSource, openImageFile, sha256OfFile } from '@sysext-bakery/squashfs/node';
import { nodeCodecs as codecs, nodeCodecsReady } from '@sysext-bakery/squashfs/node';
import type { CodecProvider } from '@sysext-bakery/squashfs';

/** The parallel Node codecs (worker-thread gzip and zstd), with the main-thread zstd WASM loaded (Node < 22.15). */
export async function nodeCodecs(): Promise<CodecProvider> {
  await nodeCodecsReady();
  return codecs;
}
