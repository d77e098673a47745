import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { applyOverrides, parseOverride, Tree, type WriteProgress, type WriteResult } from '@sysext-bakery/squashfs';
import type { Spool } from '@sysext-bakery/squashfs/node';
import { addTar, createFileSink, createSpool, fromDirectory, nodeCodecs, writeImage } from './deps.js';
import { SysextError } from './errors.js';
import { isPlainArchiveFile, readArchive, tarStream } from './archive-stream.js';

export interface PackOptions {
  /** A directory, or with `tar: true` a tar/tar.gz file or `-` for standard input. */
  input: string;
  tar?: boolean;
  /** The image file (written to a temp file, renamed at the end). */
  output: string;
  compression?: 'gzip' | 'zstd' | 'none';
  level?: number;
  blockSize?: number;
  /** Blocks compressed at once, i.e. cores used for compression (mksquashfs -processors); default all. */
  concurrency?: number;
  allRoot?: boolean;
  fragments?: boolean;
  dedup?: boolean;
  xattrs?: boolean;
  exports?: boolean;
  /** Superblock mkfs time; default SOURCE_DATE_EPOCH, else the newest mtime in the tree. */
  mkfsTime?: number;
  /** SOURCE_DATE_EPOCH (mksquashfs semantics: mkfs time, and newer mtimes are clamped to it). */
  sourceDateEpoch?: number;
  /** Metadata overrides, `"GLOB mode=0755 uid=0 gid=0"`, applied in order. */
  overrides?: readonly string[];
  stdin?: NodeJS.ReadableStream;
  onProgress?: (progress: WriteProgress) => void;
  signal?: AbortSignal;
}

export interface PackResult {
  path: string;
  size: number;
  sha256: string;
  write: WriteResult;
  /** Overrides that matched nothing (likely typos). */
  unmatchedOverrides: string[];
}

/** Parses SOURCE_DATE_EPOCH as mksquashfs does: a whole number of seconds, else an error. */
export function parseSourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 0xffff_ffff) {
    throw new SysextError('INVALID_ARGUMENT', `SOURCE_DATE_EPOCH=${JSON.stringify(value)} is not a whole number of seconds in 0..4294967295`);
  }
  return Number(value);
}

async function readTar(input: string, stdin: NodeJS.ReadableStream | undefined, spool: Spool): Promise<Tree> {
  const raw = input === '-' ? (stdin ?? process.stdin) : readArchive(input);
  const tree = new Tree();
  await addTar(tree, await tarStream(raw as AsyncIterable<Uint8Array | string>), { store: spool });
  await spool.flush();
  return tree;
}

/** A drop-in for `mksquashfs <dir> <image> -noappend [options]`. */
export async function packImage(options: PackOptions): Promise<PackResult> {
  // A tar archive's file contents are not all kept in memory, for an archive of any size: an
  // uncompressed tar file is read again where each file is; from a gzipped one or standard input,
  // contents are kept in memory up to 64 MiB and the rest in a temp file next to the image
  // (removed at the end, or on a signal).
  const spool =
    options.tar === true
      ? createSpool(dirname(resolve(options.output)), { name: basename(options.output), ...((await isPlainArchiveFile(options.input)) ? { archive: options.input } : {}) })
      : undefined;
  try {
    return await pack(options, spool);
  } finally {
    await spool?.close();
  }
}

async function pack(options: PackOptions, spool: Spool | undefined): Promise<PackResult> {
  let tree: Tree;
  if (spool !== undefined) {
    tree = await readTar(options.input, options.stdin, spool);
  } else {
    const st = await stat(options.input).catch((err: NodeJS.ErrnoException) => {
      throw new SysextError('IO', `cannot read ${options.input}: ${err.code === 'ENOENT' ? 'no such directory' : err.message}`, { cause: err });
    });
    if (!st.isDirectory()) throw new SysextError('USAGE', `${options.input} is not a directory (use --tar for a tar archive)`);
    // Read lazily: subdirectories are scanned as the writer reaches them, overlapping compression.
    tree = await fromDirectory(options.input, { xattrs: options.xattrs !== false, sync: true, lazy: true });
  }
  const unmatchedOverrides: string[] = [];
  if (options.overrides !== undefined && options.overrides.length > 0) {
    const rules = options.overrides.map((text) => parseOverride(text));
    const { matched } = applyOverrides(tree, rules);
    matched.forEach((count, i) => {
      if (count === 0) unmatchedOverrides.push(options.overrides![i]!);
    });
  }
  const sde = options.sourceDateEpoch;
  const mkfsTime = options.mkfsTime ?? sde;
  const codecs = await nodeCodecs();
  const sink = await createFileSink(options.output, { sha256: true });
  const write = await writeImage(tree, sink, {
    compression: options.compression ?? 'gzip',
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.blockSize === undefined ? {} : { blockSize: options.blockSize }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(codecs === undefined ? {} : { codecs }),
    allRoot: options.allRoot === true,
    fragments: options.fragments !== false,
    dedup: options.dedup !== false,
    xattrs: options.xattrs !== false,
    exports: options.exports !== false,
    ...(mkfsTime === undefined ? {} : { mkfsTime }),
    ...(sde === undefined ? {} : { clampMtime: sde }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  // The sink was asked for the digest: it has it once writeImage closed it.
  return { path: options.output, size: write.size, sha256: sink.sha256!, write, unmatchedOverrides };
}
