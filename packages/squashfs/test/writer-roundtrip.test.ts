/**
 * Round trips through tools nobody here wrote: unsquashfs (listing + extraction), sqfsdiff against
 * mksquashfs of the same tree materialized on disk, rdsquashfs, 7-Zip, and the kernel (mount).
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree, contentFromFactory, squashfsFormat, type WriteOptions } from '@sysext-bakery/squashfs';
import { nodeCodecs } from '@sysext-bakery/squashfs/node';
import { BS, diffTrees, hasTool, kitchenSink, pattern, makeTempDir, materialize, nodeHasher, normalizedListing, run, sqfsdiff, writeToFile } from './writer-helpers.js';

describe('writer round trip through external tools', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let src: string;
  let ref: string;
  beforeAll(async () => {
    tmp = makeTempDir('rt');
    src = join(tmp.dir, 'src');
    run('mkdir', [src]);
    await materialize(kitchenSink(false).root, src);
    ref = join(tmp.dir, 'ref.sqfs');
    const m = run('mksquashfs', [src, ref, '-noappend', '-all-root', '-b', String(BS), '-quiet', '-no-progress']);
    expect(m.status, m.stderr).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  const variants: [string, WriteOptions][] = [
    ['gzip (portable codecs)', {}],
    ['gzip level 1, concurrency 1, portable SHA-256', { level: 1, concurrency: 1 }],
    ['none', { compression: 'none' }],
    ['gzip without fragments', { fragments: false, hasher: nodeHasher }],
    ['gzip fragments without tail ends, no dedup, no exports', { tailEnds: false, dedup: false, exports: false }],
    ['zstd (node codecs)', { compression: 'zstd', codecs: nodeCodecs, level: 3 }],
  ];

  for (const [label, opts] of variants) {
    it(`${label}: unsquashfs, sqfsdiff vs mksquashfs, rdsquashfs and 7zz agree`, async () => {
      const img = join(tmp.dir, `${label.replace(/\W+/g, '_')}.sqfs`);
      const { result, bytes } = await writeToFile(kitchenSink(false), img, { blockSize: BS, allRoot: true, ...opts });
      expect(bytes.length % 4096).toBe(0);
      expect(result.size).toBe(bytes.length);
      const sb = squashfsFormat.decodeSuperblock(bytes);
      expect(sb.bytesUsed).toBe(result.bytesUsed);
      expect(sb.compression).toBe(opts.compression === 'zstd' ? 6 : 1);

      // unsquashfs listing equals mksquashfs's (owners, modes, sizes, mtimes, targets, devices).
      expect(normalizedListing(img)).toEqual(normalizedListing(ref));
      // sqfsdiff: same entries, contents, permissions and timestamps (exit 0 = equal).
      const d = sqfsdiff(img, ref, ['-T']);
      expect(d.report, 'sqfsdiff').toBe('');
      expect(d.equal).toBe(true);

      // Extraction by unsquashfs: contents, hard links, symlinks.
      const out = join(tmp.dir, `x-${label.replace(/\W+/g, '_')}`);
      const x = run('unsquashfs', ['-d', out, img]);
      expect(x.status, x.stderr).toBe(0);
      expect(diffTrees(src, out)).toBe('');
      expect(lstatSync(join(out, 'multi')).nlink).toBe(3);
      expect(lstatSync(join(out, 'multi')).ino).toBe(lstatSync(join(out, 'dir1/hard-to-multi')).ino);
      expect(lstatSync(join(out, 'dir1/dup-of-multi')).nlink).toBe(1);
      expect(readlinkSync(join(out, 'dir1/long-symlink')).length).toBe(4095);
      const blk = lstatSync(join(out, 'dev/blk'));
      expect(blk.isBlockDevice()).toBe(true);
      expect(blk.rdev).toBe(lstatSync(join(src, 'dev/blk')).rdev);
      expect(lstatSync(join(out, 'dev/sock')).isSocket()).toBe(true);
      expect(lstatSync(join(out, 'dir1/nested/deeper/leaf')).mode & 0o7777).toBe(0o4755);

      // squashfs-tools-ng reads it too.
      const rd = run('rdsquashfs', ['-l', '/unicode', img]);
      expect(rd.status, rd.stderr).toBe(0);
      expect(rd.stdout).toContain('日本語');
      if (hasTool('7zz')) {
        const l = run('7zz', ['l', img]);
        expect(l.status, l.stdout + l.stderr).toBe(0);
        expect(l.stdout).toContain('dir1/nested/deeper/leaf');
        const o7 = join(tmp.dir, `7z-${label.replace(/\W+/g, '_')}`);
        const x7 = run('7zz', ['x', `-o${o7}`, img, 'multi', 'sparse', 'random', 'streamed', 'block+1', '-y']);
        expect(x7.status, x7.stdout + x7.stderr).toBe(0);
        for (const f of ['multi', 'sparse', 'random', 'streamed', 'block+1']) {
          expect(readFileSync(join(o7, f)).equals(readFileSync(join(src, f))), f).toBe(true);
        }
      }
    });
  }

  it('keeps uid/gid values (no -all-root) like mksquashfs', async () => {
    const srcOwners = join(tmp.dir, 'src-owners');
    run('mkdir', [srcOwners]);
    const t = kitchenSink(true);
    await materialize(t.root, srcOwners, { owners: true });
    const refOwners = join(tmp.dir, 'ref-owners.sqfs');
    expect(run('mksquashfs', [srcOwners, refOwners, '-noappend', '-b', String(BS), '-quiet', '-no-progress']).status).toBe(0);
    const img = join(tmp.dir, 'owners.sqfs');
    const { result } = await writeToFile(kitchenSink(true), img, { blockSize: BS });
    expect(result.ids).toBe(6); // 0, 1000, 100, 1001, 5, 6
    expect(normalizedListing(img)).toEqual(normalizedListing(refOwners));
    const d = sqfsdiff(img, refOwners, ['-T']);
    expect(d.report).toBe('');
    expect(d.equal).toBe(true);
  });

  it('is reproducible regardless of concurrency and chunking', async () => {
    const a = await writeToFile(kitchenSink(false), join(tmp.dir, 'r1.sqfs'), { blockSize: BS, concurrency: 1 });
    const b = await writeToFile(kitchenSink(false), join(tmp.dir, 'r2.sqfs'), { blockSize: BS, concurrency: 64, hasher: nodeHasher });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    // Chunking: the same file as one chunk or as 1-byte..n-byte chunks.
    const data = pattern(3 * BS + 77, 9);
    const one = new Tree();
    one.file('f', data);
    const many = new Tree();
    many.file(
      'f',
      contentFromFactory(async function* () {
        let i = 0;
        let n = 1;
        while (i < data.length) {
          yield data.slice(i, i + n);
          i += n;
          n = (n * 3 + 1) % 5000;
        }
      }, data.length),
    );
    const x = await writeToFile(one, join(tmp.dir, 'c1.sqfs'), { blockSize: BS });
    const y = await writeToFile(many, join(tmp.dir, 'c2.sqfs'), { blockSize: BS });
    expect(Buffer.from(x.bytes).equals(Buffer.from(y.bytes))).toBe(true);
  });

  it('matches mksquashfs compressor-options bytes for a non-default gzip level', async () => {
    const ref6 = join(tmp.dir, 'ref6.sqfs');
    expect(run('mksquashfs', [src, ref6, '-noappend', '-all-root', '-b', String(BS), '-quiet', '-no-progress', '-Xcompression-level', '6']).status).toBe(0);
    const img = join(tmp.dir, 'l6.sqfs');
    const { bytes } = await writeToFile(kitchenSink(false), img, { blockSize: BS, allRoot: true, level: 6 });
    const theirs = readFileSync(ref6);
    const sb = squashfsFormat.decodeSuperblock(bytes);
    expect(sb.flags & squashfsFormat.SQUASHFS_COMP_OPT).not.toBe(0);
    expect(Buffer.from(bytes.subarray(96, 106)).toString('hex')).toBe(theirs.subarray(96, 106).toString('hex'));
    const s = run('unsquashfs', ['-s', img]);
    expect(s.stdout).toMatch(/compression-level 6/);
    expect(sqfsdiff(img, ref6).report).toBe('');
  });

  it('empty root directory is a valid image', async () => {
    const img = join(tmp.dir, 'emptyroot.sqfs');
    const { result } = await writeToFile(new Tree(), img);
    expect(result.inodes).toBe(1);
    const l = run('unsquashfs', ['-lln', img]);
    expect(l.status, l.stderr).toBe(0);
    expect(run('rdsquashfs', ['-l', '/', img]).status).toBe(0);
  });
});
