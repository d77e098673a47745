import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tree, contentFromFactory, writeImage, type WriteOptions } from '@sysext-bakery/squashfs';
import { createFileSink, nodeCodecs } from '@sysext-bakery/squashfs/node';
import {
  LONGEST_NAMES,
  ORDER_TRAP_NAMES,
  availableOracles,
  checkImage,
  formatReport,
  longestNames,
  parseLln,
  patternContent,
  run,
  type CheckOptions,
  type OracleName,
} from '@sysext-bakery/squashfs/testing';
import { manyDirectories } from './writer-helpers.js';

// Deterministic trees that exercise one format corner each, written by our writer and checked by
// every available oracle (unsquashfs, sqfsdiff vs mksquashfs, rdsquashfs, 7-Zip, kernel, reader).
let work: string;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oracle-cases-'));
  const available = await availableOracles();
  for (const [name, status] of Object.entries(available)) {
    if (status !== true) console.warn(`[oracle-cases] ORACLE ${name} UNAVAILABLE, not checked: ${status}`);
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeAndCheck(tree: Tree, options: WriteOptions = {}, oracles?: readonly OracleName[]): Promise<string> {
  const image = join(work, `case-${n++}.sqfs`);
  await writeImage(tree, await createFileSink(image), { codecs: nodeCodecs, ...options });
  const check: CheckOptions = {
    ...(oracles === undefined ? {} : { oracles }),
    ...(options.allRoot === undefined ? {} : { allRoot: options.allRoot }),
    ...(options.xattrs === undefined ? {} : { xattrs: options.xattrs }),
    ...(options.blockSize === undefined ? {} : { blockSize: options.blockSize }),
    ...(options.compression === 'zstd' || options.compression === 'gzip' ? { compression: options.compression } : {}),
  };
  const report = await checkImage(image, tree, check);
  expect(formatReport({ ...report, unavailable: [] })).toBe('');
  return image;
}

describe('oracle cases', () => {
  it('a 3000-entry directory (listing spans metadata blocks and directory index entries)', async () => {
    const tree = new Tree();
    const shared = patternContent({ size: 5, blockSize: 4096, blocks: ['text'], seed: 1, chunkSize: 5, inMemory: true });
    for (let i = 0; i < 3000; i++) {
      const name = `entry-${String(i).padStart(5, '0')}-${'n'.repeat(i % 50)}${i % 13 === 0 ? 'ü' : ''}`;
      if (i % 3 === 0) tree.symlink(`big/${name}`, `target-${i}`, { mtime: 1_600_000_000 });
      else tree.file(`big/${name}`, shared, { mtime: 1_600_000_000 + i, uid: i % 5, gid: i % 7 });
    }
    // rdsquashfs is left out here only for time: its extraction repeats unsquashfs -d (the property tests use it on large directories).
    await writeAndCheck(tree, { compression: 'gzip', level: 1 }, ['unsquashfs', 'sqfsdiff', '7zz', 'kernel', 'reader']);
  }, 600_000);

  it('hard links to files, devices, fifos and sockets across directories', async () => {
    const tree = new Tree();
    tree.file('a/file', 'linked content', { mtime: 100, uid: 1000, gid: 1000, mode: 0o640 });
    tree.link('b/file-link', 'a/file');
    tree.link('c/d/file-link2', 'a/file');
    tree.device('dev/null', 'char', 1, 3, { mtime: 101 });
    tree.link('dev/null-link', 'dev/null');
    tree.fifo('run/fifo', { mtime: 102 });
    tree.link('run/fifo-link', 'run/fifo');
    tree.socket('run/sock', { mtime: 103 });
    tree.link('run/sock-link', 'run/sock');
    tree.file('a/empty', new Uint8Array(0), { mtime: 104 });
    tree.link('a/empty-link', 'a/empty');
    await writeAndCheck(tree);
  });

  it('every device type and device-number edge', async () => {
    const tree = new Tree();
    const numbers: [number, number][] = [[0, 0], [1, 3], [8, 1], [255, 255], [256, 0], [0, 256], [4095, 0], [0, 0xfffff], [4095, 0xfffff], [259, 65536]];
    for (const [major, minor] of numbers) {
      tree.device(`dev/b-${major}-${minor}`, 'block', major, minor, { mode: 0o660, gid: 6, mtime: major });
      tree.device(`dev/c-${major}-${minor}`, 'char', major, minor, { mode: 0o666, mtime: minor });
    }
    tree.fifo('dev/fifo', { mode: 0o600 });
    tree.socket('dev/sock', { mode: 0o777 });
    await writeAndCheck(tree);
  });

  it('a 4095-byte symlink target and other long and odd targets', async () => {
    const tree = new Tree();
    tree.symlink('long', 'x'.repeat(4095));
    tree.symlink('long-utf8', `${'é'.repeat(2047)}x`);
    tree.symlink('abs', '/usr/lib/os-release');
    tree.symlink('dangling', '../../nowhere');
    tree.symlink('spaces', 'a b -> c');
    await writeAndCheck(tree);
  });

  it('Unicode names: order traps (UTF-16 vs UTF-8 order), combining marks, 255-byte names', async () => {
    const tree = new Tree();
    for (const name of ORDER_TRAP_NAMES) {
      tree.file(`traps/${name}`, name);
      tree.dir(`dirs/${name}`);
    }
    for (const name of LONGEST_NAMES) tree.file(`long/${name}`, name);
    tree.file('mixed/日本語ファイル名', 'ja');
    tree.file('mixed/Ελληνικά', 'el');
    tree.file('mixed/ \t?*[]', 'shell');
    await writeAndCheck(tree, { compression: 'zstd' });
  });

  it('256-byte names (valid SquashFS, beyond Linux NAME_MAX: checked by our reader and unsquashfs -lln)', async () => {
    const tree = new Tree();
    for (const name of longestNames(256)) tree.file(`n/${name}`, 'x');
    const image = await writeAndCheck(tree, {}, ['reader']);
    const listing = parseLln((await run('unsquashfs', ['-lln', '-UTC', image])).stdout.toString('utf8'));
    if (listing.length > 0) {
      expect(listing.map((l) => l.path).sort()).toEqual(['', 'n', ...longestNames(256).map((x) => `n/${x}`)].sort());
    } else {
      console.warn('[oracle-cases] unsquashfs unavailable: 256-byte names checked by the reader only');
    }
  });

  // Writing it takes ~5 s; checking it with four oracles takes one to two minutes on two cores,
  // so it runs when SQUASHFS_BIG_TESTS=1 (and says so loudly when skipped).
  const big = process.env.SQUASHFS_BIG_TESTS === '1';
  if (!big) console.warn('[oracle-cases] SKIPPED LOUDLY: the 5 GiB sparse-file case runs only with SQUASHFS_BIG_TESTS=1');
  it.skipIf(!big)('a 5 GiB sparse file (all zero blocks) plus a tail', async () => {
    const size = 5 * 1024 ** 3 + 12345;
    const zeros = new Uint8Array(1 << 20);
    const content = contentFromFactory(function* () {
      let left = size;
      while (left > 0) {
        const n = Math.min(left, zeros.length);
        yield n === zeros.length ? zeros : zeros.subarray(0, n);
        left -= n;
      }
    }, size, 'zeros');
    const tree = new Tree();
    tree.file('sparse.img', content, { mtime: 1 });
    // Extraction-free oracles (the copy-everything ones skip trees this large on their own).
    await writeAndCheck(tree, { compression: 'gzip', blockSize: 1 << 20 }, ['unsquashfs', 'kernel', 'reader', '7zz']);
  }, 600_000);

  it('inode and directory tables of many blocks, directories of every height 0-41, compressed in parallel (gzip and zstd)', async () => {
    await writeAndCheck(manyDirectories(5), { compression: 'gzip' });
    await writeAndCheck(manyDirectories(6), { compression: 'zstd' }, ['unsquashfs', 'kernel', 'reader', '7zz']);
  }, 600_000);
});
