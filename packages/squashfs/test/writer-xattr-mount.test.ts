/**
 * Xattrs (stored, shared, dropped) checked with unsquashfs -xattrs + getxattr and sqfsdiff against
 * mksquashfs; and the kernel: mount -o loop our images and compare the mounted tree.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree, squashfsFormat, type SquashfsWarning } from '@sysext-bakery/squashfs';
import { nodeCodecs } from '@sysext-bakery/squashfs/node';
import {
  BS,
  diffTrees,
  getXattrs,
  kitchenSink,
  makeTempDir,
  materialize,
  mountProbe,
  normalizedListing,
  run,
  sqfsdiff,
  warnSkip,
  withMount,
  writeToFile,
} from './writer-helpers.js';

const big = new Uint8Array(3000).map((_, i) => i & 0xff);

function xattrTree(): Tree {
  const t = new Tree({ defaults: { mtime: 1_690_000_000 } });
  const common = { 'user.mime_type': 'text/plain', 'security.selinux': 'system_u:object_r:etc_t:s0\0' };
  t.dir('etc', { xattrs: { 'user.dir': 'd' } });
  t.file('etc/a.conf', 'a\n', { xattrs: common });
  t.file('etc/b.conf', 'b\n', { xattrs: { 'security.selinux': 'system_u:object_r:etc_t:s0\0', 'user.mime_type': 'text/plain' } });
  t.file('etc/c.conf', 'c\n', { xattrs: { 'trusted.overlay.opaque': 'y', 'user.empty': new Uint8Array(0), 'user.big': big } });
  t.file('etc/plain', 'no xattrs\n');
  t.symlink('etc/link', 'a.conf', { xattrs: { 'trusted.sym': 'link xattr' } });
  t.fifo('etc/fifo', { xattrs: { 'trusted.fifo': 'f' } }); // user.* is not allowed on special files
  t.device('etc/null', 'char', 1, 3, { xattrs: { 'security.selinux': 'system_u:object_r:null_device_t:s0\0' } });
  t.link('etc/hard-a', 'etc/a.conf');
  t.file('etc/dropped', 'x', { xattrs: { 'system.posix_acl_access': 'acl', 'user.kept': 'k' } });
  return t;
}

describe('xattrs and the kernel', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir('xattr');
    warnSkip('kernel mount comparisons');
  });
  afterAll(() => tmp.cleanup());

  it('stores user./trusted./security. xattrs, shares identical sets, drops others with a warning', async () => {
    const img = join(tmp.dir, 'x.sqfs');
    const warnings: SquashfsWarning[] = [];
    const { bytes } = await writeToFile(xattrTree(), img, { onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.path)).toEqual(['/etc/dropped']);
    const s = run('unsquashfs', ['-s', img]);
    // Sets: etc dir, a=b (shared, one id), c, link, fifo, null, dropped(user.kept) = 7.
    expect(s.stdout).toMatch(/Number of xattr ids 7\b/);
    const sb = squashfsFormat.decodeSuperblock(bytes);
    expect(sb.xattrIdTableStart).not.toBeNull();

    const out = join(tmp.dir, 'x-out');
    const x = run('unsquashfs', ['-xattrs', '-d', out, img]);
    expect(x.status, x.stderr).toBe(0);
    expect(getXattrs(join(out, 'etc/a.conf'))).toEqual({
      'security.selinux': Buffer.from('system_u:object_r:etc_t:s0\0').toString('hex'),
      'user.mime_type': Buffer.from('text/plain').toString('hex'),
    });
    expect(getXattrs(join(out, 'etc/c.conf'))).toEqual({
      'trusted.overlay.opaque': Buffer.from('y').toString('hex'),
      'user.big': Buffer.from(big).toString('hex'),
      'user.empty': '',
    });
    expect(getXattrs(join(out, 'etc'))).toEqual({ 'user.dir': '64' });
    expect(getXattrs(join(out, 'etc/dropped'))).toEqual({ 'user.kept': '6b' });
    expect(getXattrs(join(out, 'etc/plain'))).toEqual({});
    expect(lstatSync(join(out, 'etc/hard-a')).nlink).toBe(2);

    // Against mksquashfs of the same tree (sqfsdiff compares xattrs too).
    const src = join(tmp.dir, 'x-src');
    run('mkdir', [src]);
    const ref = xattrTree();
    (ref.get('etc/dropped')!.meta.xattrs as Map<string, Uint8Array>).delete('system.posix_acl_access');
    await materialize(ref.root, src);
    const refImg = join(tmp.dir, 'x-ref.sqfs');
    const m = run('mksquashfs', [src, refImg, '-noappend', '-all-root', '-quiet', '-no-progress', '-xattrs']);
    expect(m.status, m.stderr).toBe(0);
    const d = sqfsdiff(img, refImg, ['-T']);
    expect(d.report).toBe('');
  });

  it('xattrs: false drops them all and sets NO_XATTR', async () => {
    const img = join(tmp.dir, 'nox.sqfs');
    const { bytes } = await writeToFile(xattrTree(), img, { xattrs: false });
    const sb = squashfsFormat.decodeSuperblock(bytes);
    expect(sb.xattrIdTableStart).toBeNull();
    expect(sb.flags & squashfsFormat.SQUASHFS_NO_XATTR).not.toBe(0);
    const out = join(tmp.dir, 'nox-out');
    expect(run('unsquashfs', ['-xattrs', '-d', out, img]).status).toBe(0);
    expect(getXattrs(join(out, 'etc/a.conf'))).toEqual({});
  });

  it.skipIf(!mountProbe.ok)('the kernel mounts our images and shows the same tree (gzip, node zstd, portable zstd 19, none)', async () => {
    const src = join(tmp.dir, 'k-src');
    run('mkdir', [src]);
    await materialize(kitchenSink(true).root, src, { owners: true });
    const variants = [{}, { compression: 'zstd' as const, codecs: nodeCodecs }, { compression: 'zstd' as const, level: 19 }, { compression: 'none' as const }];
    for (const [n, opts] of variants.entries()) {
      const img = join(tmp.dir, `k-${n}.sqfs`);
      await writeToFile(kitchenSink(true), img, { blockSize: BS, ...opts });
      await withMount(img, tmp.dir, (mnt) => {
        expect(diffTrees(src, mnt)).toBe('');
        // Owners, modes, mtimes, nlink and inode numbers as the kernel reports them.
        const walk = (rel: string): void => {
          const a = lstatSync(join(src, rel));
          const b = lstatSync(join(mnt, rel));
          expect([b.mode, b.uid, b.gid, b.mtimeMs, b.rdev], rel).toEqual([a.mode, a.uid, a.gid, a.mtimeMs, a.rdev]);
          if (!a.isDirectory()) expect(b.size, rel).toBe(a.size);
          if (!a.isDirectory()) expect(b.nlink, rel).toBe(a.nlink);
          if (a.isDirectory()) for (const n of readdirSync(join(src, rel))) walk(join(rel, n));
        };
        walk('.');
        expect(lstatSync(join(mnt, 'multi')).ino).toBe(lstatSync(join(mnt, 'hard2')).ino);
        expect(lstatSync(join(mnt, 'dir1')).nlink).toBe(2 + 2); // nested, emptydir
      });
    }
  });

  it.skipIf(!mountProbe.ok)('the kernel reads our xattrs', async () => {
    const img = join(tmp.dir, 'kx.sqfs');
    await writeToFile(xattrTree(), img);
    await withMount(img, tmp.dir, (mnt) => {
      expect(getXattrs(join(mnt, 'etc/c.conf'))).toMatchObject({ 'user.big': Buffer.from(big).toString('hex'), 'trusted.overlay.opaque': '79' });
      expect(getXattrs(join(mnt, 'etc/b.conf'))['security.selinux']).toBe(Buffer.from('system_u:object_r:etc_t:s0\0').toString('hex'));
      expect(getXattrs(join(mnt, 'etc/link'))).toEqual({ 'trusted.sym': Buffer.from('link xattr').toString('hex') });
    });
  });

  it('listing of an image with xattrs matches mksquashfs', async () => {
    const img = join(tmp.dir, 'x.sqfs');
    expect(normalizedListing(img)).toEqual(normalizedListing(join(tmp.dir, 'x-ref.sqfs')));
  });
});
