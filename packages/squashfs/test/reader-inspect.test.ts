/**
 * inspectImage/formatInspect against `unsquashfs -s` and `unsquashfs -lln -d ''` (TZ=UTC):
 * line-for-line equal for images from mksquashfs and gensquashfs.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInspect, inspectImage } from '@sysext-bakery/squashfs';
import { openImageFile } from '@sysext-bakery/squashfs/node';
import { buildTree, cleanup, gensquashfs, have, isRoot, mksquashfs, tempDir } from './fuzz/images.js';

const tools = have('mksquashfs') && have('unsquashfs') && have('gensquashfs');
if (!tools) console.warn('reader-inspect: SKIPPED, mksquashfs/unsquashfs/gensquashfs not installed');

const unsquashfs = (args: string[]) => execFileSync('unsquashfs', args, { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 26 }).toString('utf8');

describe.skipIf(!tools)('formatInspect vs unsquashfs -s / -lln', () => {
  let dir = '';
  let src = '';
  beforeAll(() => {
    dir = tempDir('h2-inspect-');
    src = join(dir, 'src');
    buildTree(src, { devices: false, bigDir: 20 });
    if (isRoot) execFileSync('mknod', [join(src, 'null'), 'c', '1', '3']);
  });
  afterAll(() => cleanup(dir));

  const cases: [string, (img: string) => void][] = [
    ['mksquashfs gzip', (img) => mksquashfs(src, img, ['-comp', 'gzip'])],
    ['mksquashfs zstd level 3, no fragments, no xattrs, uncompressed inodes', (img) => mksquashfs(src, img, ['-comp', 'zstd', '-Xcompression-level', '3', '-no-fragments', '-no-xattrs', '-noI', '-always-use-fragments'])],
    ['gensquashfs zstd', (img) => gensquashfs(src, img, ['-c', 'zstd', '-k', '-x', '-e'])],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const img = join(dir, `${name.replace(/\W+/g, '-')}.sqfs`);
      make(img);
      const image = await openImageFile(img);
      const report = await inspectImage(image);
      await image.close();
      expect(JSON.parse(JSON.stringify(report))).toEqual(report); // JSON-able
      const text = formatInspect(report).split('\n');
      const blank = text.indexOf('');
      const summary = text.slice(1, blank);
      const listing = text.slice(blank + 1).filter((l) => l !== '');
      const theirSummary = unsquashfs(['-s', img]).split('\n').slice(1).filter((l) => l !== '');
      expect(summary).toEqual(theirSummary);
      const theirListing = unsquashfs(['-lln', '-d', '', img]).split('\n').filter((l) => l !== '');
      expect(listing).toEqual(theirListing);
      expect(listing.length).toBeGreaterThan(40);
    });
  }
});
