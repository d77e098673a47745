import { describeRun, run, which } from './exec.js';
import type { ReferenceOptions } from './oracles/context.js';

export interface MksquashfsOptions extends ReferenceOptions {
  /** Compression level passed as -Xcompression-level (gzip/zstd). */
  level?: number;
  /** Superblock time (default 0, reproducible). */
  mkfsTime?: number;
  processors?: number;
  /** Extra raw arguments. */
  extraArgs?: string[];
}

/** The mksquashfs arguments that mirror a set of writer options. */
export function mksquashfsArgs(dir: string, image: string, options: MksquashfsOptions = {}): string[] {
  const args = [dir, image, '-noappend', '-no-progress', '-quiet', '-mkfs-time', String(options.mkfsTime ?? 0)];
  if (options.blockSize !== undefined) args.push('-b', String(options.blockSize));
  const comp = options.compression ?? 'gzip';
  if (comp === 'none') args.push('-noI', '-noD', '-noF', '-noX');
  else args.push('-comp', comp);
  if (options.level !== undefined && (comp === 'gzip' || comp === 'zstd')) args.push('-Xcompression-level', String(options.level));
  if (options.allRoot === true) args.push('-all-root');
  if (options.fragments === false) args.push('-no-fragments');
  else if (options.tailEnds !== false) args.push('-always-use-fragments');
  if (options.dedup === false) args.push('-no-duplicates');
  if (options.xattrs === false) args.push('-no-xattrs');
  else args.push('-xattrs');
  if (options.exports === false) args.push('-no-exports');
  if (options.processors !== undefined) args.push('-processors', String(options.processors));
  if (options.extraArgs !== undefined) args.push(...options.extraArgs);
  return args;
}

/**
 * Builds a reference image of directory `dir` with mksquashfs (e.g. from `materializeTree`).
 * Throws if mksquashfs is missing or fails.
 */
export async function mksquashfsReference(dir: string, image: string, options: MksquashfsOptions = {}): Promise<void> {
  const tool = await which('mksquashfs');
  if (tool === undefined) throw new Error('mksquashfs is not on PATH');
  const args = mksquashfsArgs(dir, image, options);
  const r = await run(tool, args);
  if (r.code !== 0) throw new Error(describeRun('mksquashfs', args, r));
}
