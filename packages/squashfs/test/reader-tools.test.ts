/**
 * The reader against images made by the reference tools (mksquashfs 4.5.1, gensquashfs 1.2.0):
 * walk/stat/readFile/readlink compared with the source directory and with `unsquashfs -lln`,
 * and verifyImage must pass on every one of them.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsImage, modeString, sourceFromBytes, verifyImage, type EntryStat } from '@sysext-bakery/squashfs';
import { openImageFile } from '@sysext-bakery/squashfs/node';
import { buildTree, cleanup, gensquashfs, have, mksquashfs, readBytes, tempDir, unsquashfsList } from './fuzz/images.js';

const tools = have('mksquashfs') && have('unsquashfs') && have('gensquashfs');
if (!tools) console.warn('reader-tools: SKIPPED, mksquashfs/unsquashfs/gensquashfs not installed');

interface Variant {
  name: string;
  tool: 'mksquashfs' | 'gensquashfs';
  args: string[];
  blockSize?: number;
  bigDir?: number;
  /** xattrs expected in the image */
  xattrs: boolean;
  /** hard links detected (one shared inode) */
  hardLinks: boolean;
  keepsTimes: boolean;
}

const variants: Variant[] = [
  { name: 'mksquashfs gzip', tool: 'mksquashfs', args: ['-comp', 'gzip'], xattrs: true, hardLinks: true, keepsTimes: true },
  { name: 'mksquashfs zstd, 3000-entry dir', tool: 'mksquashfs', args: ['-comp', 'zstd'], bigDir: 3000, xattrs: true, hardLinks: true, keepsTimes: true },
  { name: 'mksquashfs gzip level 1 (compressor options) -no-fragments', tool: 'mksquashfs', args: ['-comp', 'gzip', '-Xcompression-level', '1', '-no-fragments'], xattrs: true, hardLinks: true, keepsTimes: true },
  { name: 'mksquashfs zstd -always-use-fragments', tool: 'mksquashfs', args: ['-comp', 'zstd', '-always-use-fragments'], xattrs: true, hardLinks: true, keepsTimes: true },
  { name: 'mksquashfs gzip -tailends -b 4K', tool: 'mksquashfs', args: ['-comp', 'gzip', '-tailends', '-b', '4K'], blockSize: 4096, xattrs: true, hardLinks: true, keepsTimes: true },
  { name: 'mksquashfs zstd level 3 -b 1M -all-root', tool: 'mksquashfs', args: ['-comp', 'zstd', '-Xcompression-level', '3', '-b', '1M', '-all-root'], blockSize: 1 << 20, xattrs: true, hardLinks: true, keepsTimes: true },
  { name: 'mksquashfs uncompressed -noI -noD -noF -noX', tool: 'mksquashfs', args: ['-noI', '-noD', '-noF', '-noX'], bigDir: 600, xattrs: true, hardLinks: true, keepsTimes: true },
  { name: 'mksquashfs -no-xattrs -no-exports', tool: 'mksquashfs', args: ['-comp', 'gzip', '-no-xattrs', '-no-exports'], xattrs: false, hardLinks: true, keepsTimes: true },
  { name: 'gensquashfs gzip', tool: 'gensquashfs', args: ['-c', 'gzip', '-k', '-x'], bigDir: 400, xattrs: true, hardLinks: false, keepsTimes: true },
  { name: 'gensquashfs zstd exportable', tool: 'gensquashfs', args: ['-c', 'zstd', '-k', '-x', '-e'], xattrs: true, hardLinks: false, keepsTimes: true },
  { name: 'gensquashfs gzip no tail packing 4K', tool: 'gensquashfs', args: ['-c', 'gzip', '-k', '-T', '-b', '4096'], blockSize: 4096, xattrs: false, hardLinks: false, keepsTimes: true },
];

function kindOf(mode: number): EntryStat['kind'] {
  switch (mode & 0o170000) {
    case 0o040000:
      return 'dir';
    case 0o100000:
      return 'file';
    case 0o120000:
      return 'symlink';
    case 0o060000:
      return 'blockdev';
    case 0o020000:
      return 'chardev';
    case 0o010000:
      return 'fifo';
    default:
      return 'socket';
  }
}

function sourceEntries(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel))) {
    const p = rel === '' ? name : `${rel}/${name}`;
    out.push(p);
    if (lstatSync(join(root, p)).isDirectory()) out.push(...sourceEntries(root, p));
  }
  return out;
}

describe.skipIf(!tools)('reader vs mksquashfs/gensquashfs images', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(cleanup));
  // Source trees are shared by the variants with the same block size and big directory.
  const trees = new Map<string, { src: string; built: { xattrs: boolean; devices: boolean } }>();
  const treeFor = (blockSize: number, bigDir: number | undefined) => {
    const key = `${blockSize}/${bigDir ?? 0}`;
    let tree = trees.get(key);
    if (tree === undefined) {
      const dir = tempDir();
      dirs.push(dir);
      const src = join(dir, 'src');
      tree = { src, built: buildTree(src, { blockSize, ...(bigDir === undefined ? {} : { bigDir }) }) };
      trees.set(key, tree);
    }
    return tree;
  };

  for (const v of variants) {
    describe(v.name, () => {
      let dir = '';
      let src = '';
      let img = '';
      let built = { xattrs: false, devices: false };
      beforeAll(() => {
        dir = tempDir();
        dirs.push(dir);
        ({ src, built } = treeFor(v.blockSize ?? 131072, v.bigDir));
        img = join(dir, 'image.sqfs');
        if (v.tool === 'mksquashfs') mksquashfs(src, img, v.args);
        else gensquashfs(src, img, v.args);
      });

      it('walk/stat/readFile/readlink agree with the source tree', async () => {
        const image = await openImageFile(img);
        try {
          const seen: EntryStat[] = [];
          for await (const st of image.walk()) seen.push(st);
          expect(seen[0]!.path).toBe('');
          expect(seen.map((s) => s.path).slice(1).sort()).toEqual(sourceEntries(src).sort());
          const byRef = new Map<number, string[]>();
          for (const st of seen) {
            const host = lstatSync(join(src, st.path));
            expect(st.kind, st.path).toBe(kindOf(host.mode));
            if (!v.args.includes('-all-root')) {
              expect(st.uid, st.path).toBe(host.uid);
              expect(st.gid, st.path).toBe(host.gid);
            }
            expect(st.mode, st.path).toBe(host.mode & 0o7777);
            if (v.keepsTimes && st.path !== '') expect(st.mtime, st.path).toBe(Math.floor(host.mtimeMs / 1000));
            expect(await image.stat(st.path)).toEqual(st);
            if (st.kind === 'file') {
              expect(st.size, st.path).toBe(host.size);
              const data = await image.readFile(st.path);
              expect(Buffer.from(data).equals(readFileSync(join(src, st.path))), st.path).toBe(true);
              byRef.set(st.inodeRef, [...(byRef.get(st.inodeRef) ?? []), st.path]);
            } else if (st.kind === 'symlink') {
              expect(await image.readlink(st.path)).toBe(readlinkSync(join(src, st.path)));
              expect(st.size).toBe(Buffer.byteLength(st.target!));
            } else if (st.kind === 'chardev' || st.kind === 'blockdev') {
              const rdev = host.rdev;
              expect([st.major, st.minor], st.path).toEqual([(rdev >> 8) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00)]);
            } else if (st.kind === 'dir') {
              const listed = await image.readdir(st.path);
              expect(listed.map((e) => e.name).sort()).toEqual(readdirSync(join(src, st.path)).sort());
              // on-disk order is strcmp order
              const names = listed.map((e) => Buffer.from(e.name));
              for (let i = 1; i < names.length; i++) expect(Buffer.compare(names[i - 1]!, names[i]!)).toBeLessThan(0);
            }
          }
          // hard links: one shared inode with nlink 2 (mksquashfs), two inodes (gensquashfs --pack-dir)
          const hello = seen.find((s) => s.path === 'a/hello.txt')!;
          const hard = seen.find((s) => s.path === 'a/b/hardlink')!;
          if (v.hardLinks) {
            expect(hard.inodeRef).toBe(hello.inodeRef);
            expect(hello.nlink).toBe(2);
            expect(hello.inodeType).toBe(9);
          } else {
            expect(hard.inodeRef).not.toBe(hello.inodeRef);
          }
          if (v.xattrs && built.xattrs) {
            expect(new TextDecoder().decode(hello.xattrs.get('user.comment'))).toBe('a value');
            expect(new TextDecoder().decode(seen.find((s) => s.path === 'a')!.xattrs.get('user.dir'))).toBe('dir value');
            expect(seen.find((s) => s.path === 'one-block')!.xattrs.get('user.big')!.length).toBe(2000);
          } else {
            expect(hello.xattrs.size).toBe(0);
          }
          if (v.bigDir !== undefined && v.bigDir >= 3000 && v.tool === 'mksquashfs') {
            const big = seen.find((s) => s.path === 'big')!;
            expect(big.inodeType).toBe(8); // LDIR with an index
          }
          // streaming read equals readFile
          const chunks: Uint8Array[] = [];
          for await (const c of image.createReadStream('multi')) chunks.push(c);
          expect(Buffer.concat(chunks).equals(readFileSync(join(src, 'multi')))).toBe(true);
          expect(chunks.length).toBeGreaterThan(1);
        } finally {
          await image.close();
        }
      });

      it('matches unsquashfs -lln line by line', async () => {
        const listed = unsquashfsList(img);
        const image = await SquashfsImage.open(sourceFromBytes(readBytes(img)));
        const ours: EntryStat[] = [];
        for await (const st of image.walk()) ours.push(st);
        expect(ours.length).toBe(listed.length);
        ours.forEach((st, i) => {
          const l = listed[i]!;
          expect(st.path).toBe(l.path);
          expect(modeString(st.kind, st.mode)).toBe(l.mode);
          expect(`${st.uid}/${st.gid}`).toBe(`${l.uid}/${l.gid}`);
          // unsquashfs -lln prints a device as (rdev >> 8, rdev & 0xff) of the stored rdev (old
          // encoding), so re-encode ours (Linux new_encode_dev) before comparing.
          const rdev = st.kind === 'chardev' || st.kind === 'blockdev' ? ((st.minor! & 0xff) | (st.major! << 8) | ((st.minor! & ~0xff) << 12)) >>> 0 : 0;
          expect(st.kind === 'chardev' || st.kind === 'blockdev' ? `${rdev >>> 8},${rdev & 0xff}` : String(st.size)).toBe(l.size);
          if (st.kind === 'symlink') expect(st.target).toBe(l.target);
        });
      });

      it('passes verifyImage', async () => {
        const report = await verifyImage(sourceFromBytes(readBytes(img)), { all: true });
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
        expect(report.stats.inodes).toBeGreaterThan(20);
        expect(report.stats.dataBlocks).toBeGreaterThan(0);
      });
    });
  }
});
