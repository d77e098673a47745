import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tree } from '../tree/tree.js';
import type { DirNode } from '../tree/node.js';
import { which } from './exec.js';
import { expectedEntries } from './expected.js';
import type { Oracle, OracleContext, ReferenceOptions } from './oracles/context.js';
import { kernelMountUnavailable, kernelOracle } from './oracles/kernel.js';
import { rdsquashfsOracle } from './oracles/rdsquashfs.js';
import { readerOracle } from './oracles/reader.js';
import { sevenZipOracle } from './oracles/sevenzip.js';
import { sqfsdiffOracle } from './oracles/sqfsdiff.js';
import { unsquashfsOracle } from './oracles/unsquashfs.js';
import { ORACLE_NAMES, type CheckReport, type OracleName, type OracleResult } from './report.js';

export interface CheckOptions extends ReferenceOptions {
  /** Oracles to run (default: all). Unavailable ones are reported, never counted as passes. */
  oracles?: readonly OracleName[];
  /** Scratch directory (default: a fresh one under the OS temp dir, removed afterwards). */
  workDir?: string;
  /** Run the oracles one after another instead of concurrently. */
  sequential?: boolean;
}

const ORACLES: Record<OracleName, Oracle> = {
  unsquashfs: unsquashfsOracle,
  sqfsdiff: sqfsdiffOracle,
  rdsquashfs: rdsquashfsOracle,
  '7zz': sevenZipOracle,
  kernel: kernelOracle,
  reader: readerOracle,
};

/**
 * Checks the image at `imagePath` against the tree it was written from, with every selected
 * oracle. `options` must describe how the image was written (allRoot, clampMtime, xattrs,
 * and for sqfsdiff's reference image the block size, compression, fragments, dedup).
 * An empty `differences` list means the image passed every oracle that was available.
 */
export async function checkImage(imagePath: string, tree: Tree | DirNode, options: CheckOptions = {}): Promise<CheckReport> {
  const selected = options.oracles ?? ORACLE_NAMES;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'sqfs-check-')));
  const expect = {
    ...(options.allRoot === undefined ? {} : { allRoot: options.allRoot }),
    ...(options.clampMtime === undefined ? {} : { clampMtime: options.clampMtime }),
    ...(options.xattrs === undefined ? {} : { xattrs: options.xattrs }),
  };
  const { oracles: _o, workDir: _w, sequential: _s, ...write } = options;
  const base: Omit<OracleContext, 'workDir'> = {
    imagePath,
    tree,
    expected: expectedEntries(tree, expect),
    expect,
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    write,
  };
  const runOne = async (name: OracleName): Promise<OracleResult> => {
    const dir = join(workDir, name);
    await mkdir(dir, { recursive: true });
    try {
      return await ORACLES[name]({ ...base, workDir: dir });
    } catch (error) {
      return { oracle: name, status: 'fail', differences: [{ oracle: name, message: `oracle crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` }] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    const results: OracleResult[] = [];
    if (options.sequential === true) for (const name of selected) results.push(await runOne(name));
    else results.push(...(await Promise.all(selected.map(runOne))));
    return {
      results,
      differences: results.flatMap((r) => r.differences),
      unavailable: results.filter((r) => r.status === 'unavailable').map((r) => ({ oracle: r.oracle, reason: r.reason ?? 'unavailable' })),
    };
  } finally {
    if (options.workDir === undefined) await rm(workDir, { recursive: true, force: true });
  }
}

/** Which oracles can run on this machine: `true`, or the reason they cannot. */
export async function availableOracles(): Promise<Record<OracleName, true | string>> {
  const tool = async (name: string, why: string): Promise<true | string> => ((await which(name)) === undefined ? why : true);
  const [unsquashfs, sqfsdiff, mks, rdsquashfs, sevenZip, kernel] = await Promise.all([
    tool('unsquashfs', 'unsquashfs is not on PATH'),
    tool('sqfsdiff', 'sqfsdiff (squashfs-tools-ng) is not on PATH'),
    tool('mksquashfs', 'mksquashfs is not on PATH (needed for the reference image)'),
    tool('rdsquashfs', 'rdsquashfs (squashfs-tools-ng) is not on PATH'),
    (async () => ((await which('7zz')) ?? (await which('7z'))) === undefined ? '7zz is not on PATH' : true)(),
    kernelMountUnavailable(),
  ]);
  return {
    unsquashfs,
    sqfsdiff: sqfsdiff !== true ? sqfsdiff : mks,
    rdsquashfs,
    '7zz': sevenZip,
    kernel: kernel ?? true,
    reader: true,
  };
}
