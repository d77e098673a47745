/**
 * Node adapters for the reader: an ImageSource over a file, and extraction of an image to a
 * directory (files, directories, symlinks, hard links, modes, owners, times, devices and FIFOs).
 */
import { chmod, chown, lchown, link, lutimes, mkdir, open, readdir, symlink, utimes } from 'node:fs/promises';
import { readSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { SquashfsError } from '../errors.js';
import type { ImageSource } from '../io/sink.js';
import { SquashfsImage, type OpenOptions } from '../reader/image.js';
import type { EntryStat } from '../reader/entry.js';

/**
 * Runs a command (mknod, for devices and FIFOs). node:child_process is loaded on first use: it
 * pulls in net, dgram and their streams, which nothing else in `bakery pack` needs.
 */
async function run(file: string, args: string[]): Promise<void> {
  const { execFile } = await import('node:child_process');
  await new Promise<void>((done, fail) => execFile(file, args, (error) => (error ? fail(error) : done())));
}

/**
 * Positional reads from a file; `close()` closes it. The reads are synchronous (`pread` on the
 * handle's descriptor): an image is read in metadata blocks of 8 KiB and data blocks of at most
 * 1 MiB, mostly from the page cache, where a read through the libuv pool costs the calling thread
 * several times more than the read itself (verifying 25,000 small files: ~100 ms of reads).
 */
export async function fileImageSource(path: string): Promise<ImageSource> {
  const handle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (error) {
    await handle.close();
    throw error;
  }
  let closed = false;
  return {
    size,
    async read(position, length) {
      if (closed) throw new SquashfsError('IO', `${path}: read after close()`, { path });
      const len = Math.max(0, Math.min(length, size - position));
      const buf = new Uint8Array(len);
      let done = 0;
      while (done < len) {
        const bytesRead = readSync(handle.fd, buf, done, len - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === len ? buf : buf.subarray(0, done);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

/** Opens an image file; `image.close()` closes the file. */
export async function openImageFile(path: string, options: OpenOptions = {}): Promise<SquashfsImage> {
  const source = await fileImageSource(path);
  try {
    return await SquashfsImage.open(source, options);
  } catch (error) {
    await source.close?.();
    throw error;
  }
}

export interface ExtractOptions {
  /** chown to the image's uid/gid (default: when running as root). */
  owners?: boolean;
  /** Create block/char devices and FIFOs (default: when running as root); otherwise they are skipped. */
  devices?: boolean;
  /** Restore xattrs (needs the optional @napi-rs/xattr; default false). */
  xattrs?: boolean;
  /** Called for every entry skipped or degraded (device as non-root, socket, xattr failure). */
  onWarning?: (message: string, path: string) => void;
}

export interface ExtractResult {
  entries: number;
  files: number;
  hardLinks: number;
  skipped: string[];
}

interface XattrSetter {
  setAttributeSync(path: string, name: string, value: Uint8Array): void;
}

async function loadXattrSetter(): Promise<XattrSetter | undefined> {
  try {
    const name = '@napi-rs/xattr';
    const mod = (await import(name)) as Partial<XattrSetter> & { default?: XattrSetter };
    return typeof mod.setAttributeSync === 'function' ? (mod as XattrSetter) : mod.default;
  } catch {
    return undefined;
  }
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Extracts the whole image into `destDir` (created if missing; must be empty). Every path is
 * created exclusively and checked to stay inside `destDir`; names are validated by the reader.
 */
export async function extractImage(image: SquashfsImage, destDir: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const root = resolve(destDir);
  const owners = options.owners ?? isRoot();
  const devices = options.devices ?? isRoot();
  const warn = options.onWarning ?? (() => {});
  const xattrSetter = options.xattrs === true ? await loadXattrSetter() : undefined;
  if (options.xattrs === true && xattrSetter === undefined) warn('xattrs not restored: @napi-rs/xattr is not installed', '');
  await mkdir(root, { recursive: true });
  if ((await readdir(root)).length > 0) throw new SquashfsError('INVALID_ARGUMENT', `extraction target ${root} is not empty`, { path: root });

  const result: ExtractResult = { entries: 0, files: 0, hardLinks: 0, skipped: [] };
  const firstPath = new Map<number, string>();
  const dirs: { target: string; st: EntryStat }[] = [];
  const target = (p: string): string => {
    const t = p === '' ? root : resolve(root, p);
    if (t !== root && !t.startsWith(root + sep)) {
      throw new SquashfsError('CORRUPT_IMAGE', `entry ${JSON.stringify(p)} would escape ${root}`, { path: p, structure: 'directory table' });
    }
    return t;
  };
  const finish = async (t: string, st: EntryStat, isLink: boolean) => {
    if (owners) await (isLink ? lchown(t, st.uid, st.gid) : chown(t, st.uid, st.gid));
    if (!isLink) await chmod(t, st.mode);
    if (xattrSetter !== undefined) {
      for (const [name, value] of st.xattrs) {
        try {
          xattrSetter.setAttributeSync(t, name, value);
        } catch (error) {
          warn(`xattr ${name} not set: ${(error as Error).message}`, st.path);
        }
      }
    }
    if (isLink) await lutimes(t, st.mtime, st.mtime);
    else await utimes(t, st.mtime, st.mtime);
  };

  for await (const st of image.walk()) {
    const t = target(st.path);
    result.entries++;
    if (st.kind === 'dir') {
      if (st.path !== '') await mkdir(t, { mode: 0o700 });
      dirs.push({ target: t, st });
      continue;
    }
    const earlier = firstPath.get(st.inodeRef);
    if (earlier !== undefined) {
      await link(earlier, t);
      result.hardLinks++;
      continue;
    }
    switch (st.kind) {
      case 'file': {
        const fh = await open(t, 'wx', 0o600);
        try {
          for await (const chunk of image.createReadStream(st.path)) await fh.write(chunk);
        } finally {
          await fh.close();
        }
        result.files++;
        await finish(t, st, false);
        break;
      }
      case 'symlink':
        await symlink(st.target!, t);
        await finish(t, st, true);
        break;
      case 'fifo':
      case 'blockdev':
      case 'chardev': {
        if (!devices) {
          result.skipped.push(st.path);
          warn(`${st.kind} skipped (not running as root)`, st.path);
          continue;
        }
        const args = st.kind === 'fifo' ? [t, 'p'] : [t, st.kind === 'blockdev' ? 'b' : 'c', String(st.major), String(st.minor)];
        await run('mknod', args);
        await finish(t, st, false);
        break;
      }
      case 'socket':
        result.skipped.push(st.path);
        warn('socket skipped', st.path);
        continue;
    }
    firstPath.set(st.inodeRef, t);
  }
  // Directories last, deepest first, so their modes and times survive the extraction.
  for (let i = dirs.length - 1; i >= 0; i--) await finish(dirs[i]!.target, dirs[i]!.st, false);
  return result;
}
