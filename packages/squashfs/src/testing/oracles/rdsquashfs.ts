import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { compareDirectory } from '../fs-compare.js';
import { describeRun, run, which } from '../exec.js';
import { DiffCollector, type OracleResult } from '../report.js';
import type { FsNodeKind } from '../../tree/node.js';
import { unavailable, type OracleContext } from './context.js';

/**
 * squashfs-tools-ng's rdsquashfs: unpack everything with times, modes, owners and xattrs and
 * compare. rdsquashfs 1.2 unpacks hard links as copies, so link identity is not checked here.
 */
export async function rdsquashfsOracle(ctx: OracleContext): Promise<OracleResult> {
  const tool = await which('rdsquashfs');
  if (tool === undefined) return unavailable('rdsquashfs', 'rdsquashfs (squashfs-tools-ng) is not on PATH');
  const diff = new DiffCollector('rdsquashfs');
  const dest = join(ctx.workDir, 'rdsquashfs-root');
  await mkdir(dest, { recursive: true });
  const args = ['-u', '/', '-p', dest, '-T', '-C', '-q'];
  if (ctx.root) args.push('-O');
  if (ctx.root && ctx.expect.xattrs !== false) args.push('-X');
  if (!ctx.root) args.push('-D');
  args.push(ctx.imagePath);
  const r = await run(tool, args);
  if (r.code !== 0) diff.add(undefined, describeRun('rdsquashfs', args, r));
  try {
    await compareDirectory(
      dest,
      ctx.expected,
      {
        owners: ctx.root,
        modes: true,
        dirMtimes: true,
        mtimes: true,
        nlink: 'none',
        inodes: false,
        xattrs: ctx.root && ctx.expect.xattrs !== false,
        absentKinds: new Set<FsNodeKind>(ctx.root ? [] : ['blockdev', 'chardev']),
        order: false,
        contents: true,
        rootMeta: false,
      },
      diff,
    );
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
  return diff.result();
}
