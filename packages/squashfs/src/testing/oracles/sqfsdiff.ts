import { join } from 'node:path';
import { describeRun, run, which } from '../exec.js';
import { materializeTree } from '../materialize.js';
import { mksquashfsReference } from '../mksquashfs.js';
import { DiffCollector, type OracleResult } from '../report.js';
import { totalFileBytes, unavailable, type OracleContext } from './context.js';

/**
 * squashfs-tools-ng's sqfsdiff against a mksquashfs image of the same tree (materialized on
 * disk): contents, owners, permissions and timestamps must all agree.
 */
export async function sqfsdiffOracle(ctx: OracleContext): Promise<OracleResult> {
  const tool = await which('sqfsdiff');
  if (tool === undefined) return unavailable('sqfsdiff', 'sqfsdiff (squashfs-tools-ng) is not on PATH');
  if ((await which('mksquashfs')) === undefined) return unavailable('sqfsdiff', 'mksquashfs is not on PATH (needed for the reference image)');
  if (!ctx.root && ctx.expected.some((e) => e.kind === 'blockdev' || e.kind === 'chardev')) {
    return unavailable('sqfsdiff', 'the tree has device nodes and materializing them needs root');
  }
  if (totalFileBytes(ctx.expected) > 512 * 1024 * 1024) return unavailable('sqfsdiff', 'tree too large to materialize for a reference image');
  const diff = new DiffCollector('sqfsdiff');
  const dir = join(ctx.workDir, 'sqfsdiff-tree');
  const ref = join(ctx.workDir, 'sqfsdiff-ref.sqfs');
  await materializeTree(ctx.tree, dir, {
    ...(ctx.write.clampMtime === undefined ? {} : { clampMtime: ctx.write.clampMtime }),
    xattrs: ctx.write.xattrs !== false,
  });
  await mksquashfsReference(dir, ref, { ...ctx.write, compression: ctx.write.compression === 'zstd' ? 'zstd' : 'gzip' });
  const args = ['-a', ref, '-b', ctx.imagePath, '-T'];
  if (!ctx.root && ctx.write.allRoot !== true) args.push('-O');
  const r = await run(tool, args);
  if (r.code !== 0) {
    // Basic vs extended inode forms are an encoding choice (mksquashfs picks extended forms in
    // cases that need no extended field), not a difference in content or metadata.
    const lines = r.stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !/ has (a basic|an extended) type$/.test(l));
    for (const line of lines) diff.add(undefined, line);
    if (r.code !== 1) diff.add(undefined, describeRun('sqfsdiff', args, r));
  }
  return diff.result();
}
