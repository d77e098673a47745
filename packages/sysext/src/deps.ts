/**
 * The functions of @sysext-bakery/squashfs this package uses, looked up by name. Other parts of the
 * workspace land them in parallel; a missing one fails with a clear UNAVAILABLE error instead of a
 * compile error.
 */
import * as squashfs from '@sysext-bakery/squashfs';
import * as squashfsNode from '@sysext-bakery/squashfs/node';
import type { CodecProvider, DirNode, ImageSink, ImageSource, Tree, WriteOptions, WriteResult } from '@sysext-bakery/squashfs';
import { SysextError } from './errors.js';

function pick<T>(module: object, name: string, from: string): T {
  const value = (module as Record<string, unknown>)[name];
  if (value === undefined) throw new SysextError('UNAVAILABLE', `${from} does not export ${name} yet`);
  return value as T;
}

export type WriteImageFn = (root: Tree | DirNode, sink: ImageSink, options: WriteOptions) => Promise<WriteResult>;
export const writeImage: WriteImageFn = (root, sink, options) => pick<WriteImageFn>(squashfs, 'writeImage', '@sysext-bakery/squashfs')(root, sink, options);

export function nodeCodecs(): CodecProvider | undefined {
  const value = (squashfsNode as Record<string, unknown>).nodeCodecs;
  if (value === undefined) return undefined;
  return (typeof value === 'function' ? (value as () => CodecProvider)() : value) as CodecProvider;
}

export type CreateFileSinkFn = (path: string) => ImageSink | Promise<ImageSink>;
export const createFileSink = async (path: string): Promise<ImageSink> =>
  pick<CreateFileSinkFn>(squashfsNode, 'createFileSink', '@sysext-bakery/squashfs/node')(path);

export function removeTempFilesOnSignal(): void {
  const fn = (squashfsNode as Record<string, unknown>).removeTempFilesOnSignal;
  if (typeof fn === 'function') (fn as () => void)();
}

export interface DirectoryOptions {
  xattrs?: boolean;
  [key: string]: unknown;
}
export type FromDirectoryFn = (dir: string, options?: DirectoryOptions) => Promise<Tree>;
export const fromDirectory: FromDirectoryFn = (dir, options) =>
  pick<FromDirectoryFn>(squashfsNode, 'fromDirectory', '@sysext-bakery/squashfs/node')(dir, options);

export type AddTarFn = (tree: Tree, stream: AsyncIterable<Uint8Array>, options: { prefix?: string }) => Promise<unknown>;
export const addTar: AddTarFn = (tree, stream, options) => pick<AddTarFn>(squashfs, 'addTar', '@sysext-bakery/squashfs')(tree, stream, options);

export type OpenImageFileFn = (path: string) => Promise<unknown>;
export type FileImageSourceFn = (path: string) => Promise<ImageSource>;
export const fileImageSource: FileImageSourceFn = (path) =>
  pick<FileImageSourceFn>(squashfsNode, 'fileImageSource', '@sysext-bakery/squashfs/node')(path);

export function has(name: string): boolean {
  return (squashfs as Record<string, unknown>)[name] !== undefined || (squashfsNode as Record<string, unknown>)[name] !== undefined;
}

export { squashfs, squashfsNode };

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FileContent } from '@sysext-bakery/squashfs';

/** File content read from a host file each time it is opened (the squashfs/node helper when present). */
export async function contentFromPath(path: string): Promise<FileContent> {
  const helper = (squashfsNode as Record<string, unknown>).contentFromPath;
  if (typeof helper === 'function') return (await (helper as (p: string) => FileContent | Promise<FileContent>)(path));
  const { size } = await stat(path);
  return { size, origin: path, open: () => createReadStream(path) as AsyncIterable<Uint8Array> };
}
