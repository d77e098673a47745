import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compareDirectory } from '../fs-compare.js';
import { describeRun, run, which } from '../exec.js';
import { DiffCollector, type OracleResult } from '../report.js';
import { unavailable, type OracleContext } from './context.js';

/** An empty mksquashfs 4.5.1 image (gzip, 4 KiB), used to tell "no loop mounts here" from "bad image". */
const PROBE_IMAGE =
  'H4sIAAAAAAACA8soLixmZIABJjDJyCDIcICBkYGFAQGmQ+l+KP0fChKg/HI0uhFKizJU3EpOqTh9goHVgE1YwNg5k0Emn+EHRwMDmgYWsEgnwygYBaNgFIyCUTAKRsEoGAWjYBSMglEwCqgOAGS42wcAEAAA';

let probe: Promise<string | undefined> | undefined;

/** Mount points still mounted; lazily unmounted if the process exits before its `finally` runs. */
const active = new Set<string>();
let exitHook = false;

function track(dir: string): void {
  active.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of active) spawnSync('umount', ['-l', d]);
    });
  }
}

async function mountImage(image: string, dir: string): Promise<string | undefined> {
  const args = ['-o', 'loop,ro', '-t', 'squashfs', image, dir];
  const r = await run('mount', args);
  if (r.code === 0) track(dir);
  return r.code === 0 ? undefined : describeRun('mount', args, r);
}

async function unmount(dir: string): Promise<void> {
  const r = await run('umount', [dir]);
  if (r.code !== 0) await run('umount', ['-l', dir]);
  active.delete(dir);
}

/**
 * Whether `mount -o loop -t squashfs` works here: undefined if it does, else the reason.
 * Probed once per process by mounting a known-good image.
 */
export function kernelMountUnavailable(): Promise<string | undefined> {
  probe ??= (async () => {
    if (process.platform !== 'linux') return `not Linux (${process.platform})`;
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
    if ((await which('mount')) === undefined || (await which('umount')) === undefined) return 'mount/umount not on PATH';
    const dir = await mkdtemp(join(tmpdir(), 'sqfs-probe-'));
    try {
      const image = join(dir, 'probe.sqfs');
      const mnt = join(dir, 'mnt');
      await writeFile(image, gunzipSync(Buffer.from(PROBE_IMAGE, 'base64')));
      await mkdir(mnt);
      const failure = await mountImage(image, mnt);
      if (failure !== undefined) return `loop mount of a known-good image failed: ${failure}`;
      await unmount(mnt);
      return undefined;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return probe;
}

/** The Linux kernel: loop-mount the image read-only and walk it (lookups, readdir order, stat, data, xattrs). */
export async function kernelOracle(ctx: OracleContext): Promise<OracleResult> {
  const why = await kernelMountUnavailable();
  if (why !== undefined) return unavailable('kernel', why);
  const diff = new DiffCollector('kernel');
  const mnt = join(ctx.workDir, 'kernel-mnt');
  await mkdir(mnt, { recursive: true });
  const failure = await mountImage(ctx.imagePath, mnt);
  if (failure !== undefined) {
    diff.add(undefined, `the kernel refused the image: ${failure}`);
    await rmdir(mnt).catch(() => undefined);
    return diff.result();
  }
  try {
    await compareDirectory(
      mnt,
      ctx.expected,
      {
        owners: true,
        modes: true,
        dirMtimes: true,
        mtimes: true,
        nlink: 'all',
        inodes: true,
        xattrs: ctx.expect.xattrs !== false,
        absentKinds: new Set(),
        order: true,
        contents: true,
        rootMeta: true,
      },
      diff,
    );
  } finally {
    await unmount(mnt);
    await rmdir(mnt).catch(() => undefined);
  }
  return diff.result();
}
