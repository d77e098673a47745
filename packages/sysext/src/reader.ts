/**
 * What this package reads back from an image, behind one small interface (the squashfs reader's
 * API is used only here).
 */
import { squashfs, squashfsNode } from './deps.js';
import { SysextError } from './errors.js';

export interface ImageEntry {
  path: string;
  name: string;
  kind: 'dir' | 'file' | 'symlink' | 'blockdev' | 'chardev' | 'fifo' | 'socket';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  target?: string;
}

export interface ImageReader {
  stat(path: string): Promise<ImageEntry | undefined>;
  list(path: string): Promise<ImageEntry[]>;
  readFile(path: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

type AnyImage = Record<string, (...args: unknown[]) => unknown>;

function fn(module: object, name: string): ((...args: unknown[]) => unknown) | undefined {
  const value = (module as Record<string, unknown>)[name];
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown) : undefined;
}

async function collect(value: unknown): Promise<Uint8Array> {
  if (value instanceof Uint8Array) return value;
  const chunks: Uint8Array[] = [];
  for await (const chunk of value as AsyncIterable<Uint8Array>) chunks.push(chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'NOT_FOUND';
}

/** Opens an image file with the squashfs reader. */
export async function openImage(path: string): Promise<ImageReader> {
  const open = fn(squashfsNode, 'openImageFile');
  if (open === undefined) throw new SysextError('UNAVAILABLE', '@sysext-bakery/squashfs/node does not export openImageFile yet');
  const image = (await open(path)) as AnyImage;
  const call = (name: string, ...args: unknown[]): unknown => {
    const method = image[name];
    if (typeof method !== 'function') throw new SysextError('UNAVAILABLE', `SquashfsImage has no ${name}()`);
    return method.apply(image, args);
  };
  return {
    async stat(p) {
      try {
        return (await call('stat', p)) as ImageEntry;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async list(p) {
      const name = typeof image.readdir === 'function' ? 'readdir' : 'list';
      const out = (await call(name, p)) as unknown[];
      const entries: ImageEntry[] = [];
      for (const e of out) entries.push(typeof e === 'string' ? ((await call('stat', `${p === '' ? '' : `${p}/`}${e}`)) as ImageEntry) : (e as ImageEntry));
      return entries;
    },
    async readFile(p) {
      return collect(await call('readFile', p));
    },
    async close() {
      if (typeof image.close === 'function') await image.close();
    },
  };
}

/** Runs the squashfs reader's full consistency check; throws its error on the first problem. */
export async function verifyImageFile(path: string): Promise<unknown> {
  const verify = fn(squashfs, 'verifyImage');
  const source = fn(squashfsNode, 'fileImageSource');
  if (verify === undefined || source === undefined) throw new SysextError('UNAVAILABLE', '@sysext-bakery/squashfs does not export verifyImage/fileImageSource yet');
  const src = await source(path);
  try {
    return await verify(src);
  } finally {
    const close = (src as { close?: () => Promise<void> }).close;
    if (typeof close === 'function') await close.call(src);
  }
}
