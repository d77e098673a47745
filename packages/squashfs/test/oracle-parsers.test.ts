import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbTree,
  contentBytes,
  describeTree,
  expectedEntries,
  generateContent,
  parseGetfattrHex,
  parseLln,
  parsePseudoFile,
  parseSevenZipSlt,
  resolveSymlinkLine,
  type ContentSpec,
} from '@sysext-bakery/squashfs/testing';
import { compareNames } from '@sysext-bakery/squashfs';

// Output captured from unsquashfs 4.5.1, 7-Zip 26.02 and getfattr on images made by mksquashfs 4.5.1.
const LLN = `Parallel unsquashfs: Using 2 processors
drwxr-xr-x 0/0                     104 2026-11-26 04:07 squashfs-root
brw-r--r-- 0/0                   8,  1 2026-11-26 04:07 squashfs-root/blk
crw-r--r-- 70000/4000000000 -8388608,  0 2026-11-26 04:07 squashfs-root/chr
drwsr-sr-t 0/0                      24 2026-11-26 04:07 squashfs-root/d
-rw-r--r-- 0/0                       5 2096-10-02 07:06 squashfs-root/d/f
lrwxrwxrwx 0/0                       8 2026-11-26 04:09 squashfs-root/l -> k -> a b -> c
srwxr-xr-x 0/0                       0 2026-11-26 04:07 squashfs-root/sock
`;

const PF = `/ D 1795666031 755 0 0
chr C 1795666030 644 70000 -294967296 1 3
a\\ b R 1795666194 644 0 0 5 0
b\\\\c R 1795666194 644 0 0 0 5
hl L a\\ b
l\\ ->\\ k S 1795666194 777 0 0 a b -> c
fifo I 1795666030 644 0 0 f
#
# START OF DATA - DO NOT MODIFY
#
hello`;

describe('unsquashfs output parsers', () => {
  it('parses -lln lines, devices (also negative majors), and leaves " -> " to be resolved', () => {
    const entries = parseLln(LLN);
    expect(entries.map((e) => e.path)).toEqual(['', 'blk', 'chr', 'd', 'd/f', 'l -> k -> a b -> c', 'sock']);
    expect(entries[1]).toMatchObject({ type: 'b', major: 8, minor: 1 });
    expect(entries[2]).toMatchObject({ type: 'c', uid: 70000, gid: 4000000000, major: -8388608, minor: 0 });
    expect(entries[3]).toMatchObject({ type: 'd', perms: 'rwsr-sr-t', size: 24 });
    expect(entries[4]).toMatchObject({ time: '2096-10-02 07:06', size: 5 });
    expect(resolveSymlinkLine(entries[5]!.path, (p) => p === 'l -> k')).toEqual({ path: 'l -> k', target: 'a b -> c' });
    expect(resolveSymlinkLine(entries[5]!.path, () => false)).toBeUndefined();
  });

  it('parses -pf definitions: escapes, signed ids, hard links, ipc types', () => {
    const entries = parsePseudoFile(PF);
    expect(entries.map((e) => e.path)).toEqual(['', 'chr', 'a b', 'b\\c', 'hl', 'l -> k', 'fifo']);
    expect(entries[1]).toMatchObject({ type: 'C', mode: 0o644, uid: 70000, gid: 4000000000, major: 1, minor: 3 });
    expect(entries[2]).toMatchObject({ type: 'R', size: 5, offset: 0, mtime: 1795666194 });
    expect(entries[4]).toEqual({ path: 'hl', type: 'L', target: 'a b' });
    expect(entries[5]).toMatchObject({ type: 'S', target: 'a b -> c' });
    expect(entries[6]).toMatchObject({ type: 'I', ipcType: 'f' });
  });

  it('parses 7zz l -slt records', () => {
    const text = `Listing archive: t.sqfs\n\n--\nPath = t.sqfs\nType = SquashFS\n\n----------\nPath = d\nFolder = +\nSize = \nModified = 2026-11-26 04:07:10\nMode = drwsr-sr-t\nUser ID = 0\nGroup ID = 0\n\nPath = d/f\nFolder = -\nSize = 5\nPacked Size = 5\nModified = 2096-10-02 07:06:40\nMode = -rw-r--r--\nUser ID = 70000\nGroup ID = 4000000000\n\n`;
    expect(parseSevenZipSlt(text)).toEqual([
      { path: 'd', folder: true, modified: '2026-11-26 04:07:10', mode: 'drwsr-sr-t', uid: 0, gid: 0 },
      { path: 'd/f', folder: false, size: 5, modified: '2096-10-02 07:06:40', mode: '-rw-r--r--', uid: 70000, gid: 4000000000 },
    ]);
  });

  it('parses getfattr -e hex output', () => {
    const m = parseGetfattrHex('# file: x\nuser.a=0x0001\ntrusted.b="1"\nsecurity.e\n');
    expect([...m.keys()]).toEqual(['user.a', 'trusted.b', 'security.e']);
    expect([...m.get('user.a')!]).toEqual([0, 1]);
    expect(new TextDecoder().decode(m.get('trusted.b'))).toBe('1');
    expect(m.get('security.e')!.length).toBe(0);
  });
});

describe('generated content and trees', () => {
  const spec = fc.record({
    size: fc.integer({ min: 0, max: 70_000 }),
    blockSize: fc.constantFrom(4096, 8192),
    blocks: fc.array(fc.constantFrom('zero', 'random', 'text', 'repeat' as const), { minLength: 1, maxLength: 4 }),
    seed: fc.nat(),
    chunkSize: fc.integer({ min: 1, max: 20_000 }),
    inMemory: fc.boolean(),
  }) as fc.Arbitrary<ContentSpec>;

  it('content does not depend on the chunk size, and zero blocks are zero', () => {
    fc.assert(
      fc.property(spec, fc.integer({ min: 1, max: 9000 }), (s, other) => {
        const a = contentBytes(s);
        const chunks = [...generateContent({ ...s, chunkSize: other })];
        const b = new Uint8Array(Buffer.concat(chunks));
        expect(b.length).toBe(s.size);
        expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
        for (let blk = 0; blk * s.blockSize < s.size; blk++) {
          const part = a.subarray(blk * s.blockSize, Math.min(s.size, (blk + 1) * s.blockSize));
          if (s.blocks[blk % s.blocks.length] === 'zero') expect(part.every((x) => x === 0)).toBe(true);
          if (s.blocks[blk % s.blocks.length] === 'random' && part.length >= 64) expect(part.some((x) => x !== 0)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('arbTree yields valid trees with the requested kinds, sorted walks and consistent link counts', () => {
    fc.assert(
      fc.property(arbTree({ maxEntries: 20 }), (tree) => {
        const entries = expectedEntries(tree);
        expect(entries[0]!.path).toBe('');
        for (const e of entries) {
          if (e.kind === 'symlink') expect(e.mode).toBe(0o777);
          if (e.kind !== 'file' && e.kind !== 'dir') expect([...e.xattrs.keys()].some((k) => k.startsWith('user.'))).toBe(false);
          if (e.kind !== 'dir') expect(e.nlink).toBe(e.paths.length);
          expect(Buffer.byteLength(e.path.split('/').pop()!)).toBeLessThanOrEqual(255);
        }
        const siblings = new Map<string, string[]>();
        for (const e of entries.slice(1)) {
          const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '';
          siblings.set(parent, [...(siblings.get(parent) ?? []), e.path.slice(e.path.lastIndexOf('/') + 1)]);
        }
        for (const names of siblings.values()) for (let i = 1; i < names.length; i++) expect(compareNames(names[i - 1]!, names[i]!)).toBeLessThan(0);
        expect(describeTree(tree)).toContain('"/"');
      }),
      { numRuns: 25 },
    );
  });

  it('arbTree respects kinds and the large directory option', () => {
    fc.assert(
      fc.property(arbTree({ kinds: ['file', 'hardlink'], largeDirs: 300, maxDepth: 1 }), (tree) => {
        const entries = expectedEntries(tree);
        expect(entries.filter((e) => e.path.startsWith('large-dir/')).length).toBe(300);
        for (const e of entries) if (e.path !== '' && !e.path.startsWith('large-dir')) expect(e.kind).toBe('file');
      }),
      { numRuns: 10 },
    );
  });
});
