/** What this package reads back from an image, through the squashfs reader. */
import { verifyImage, type EntryStat, type SquashfsImage, type VerifyReport } from '@sysext-bakery/squashfs';
import { fileImageSource, nodeCodecs, openImageFile } from './deps.js';

export type ImageEntry = EntryStat;

export interface ImageReader {
  readonly image: SquashfsImage;
  /** lstat; undefined when the path does not exist. */
  stat(path: string): Promise<ImageEntry | undefined>;
  list(path: string): Promise<ImageEntry[]>;
  readFile(path: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

function isNotFound(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'NOT_FOUND' || code === 'NOT_A_DIRECTORY';
}

/** Opens an image file with the squashfs reader. */
export async function openImage(path: string): Promise<ImageReader> {
  const image = await openImageFile(path, { codecs: await nodeCodecs() });
  return {
    image,
    async stat(p) {
      try {
        return await image.stat(p);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    list: (p) => image.readdir(p),
    readFile: (p) => image.readFile(p),
    close: () => image.close(),
  };
}

/** Runs the squashfs reader's full consistency check (every table, inode, directory and block). */
export async function verifyImageFile(path: string): Promise<VerifyReport> {
  const source = await fileImageSource(path);
  try {
    return await verifyImage(source, { codecs: await nodeCodecs() });
  } finally {
    await source.close?.();
  }
}
