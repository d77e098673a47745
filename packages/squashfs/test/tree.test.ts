import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SquashfsError, Tree, compareNames } from '@sysext-bakery/squashfs';
import { MAX_NAME_BYTES, nameBytes, nameProblem } from '../src/tree/names.js';

describe('Tree builder', () => {
  it('creates parents, files, links and walks in byte order', () => {
    const tree = new Tree();
    tree.file('usr/bin/b', 'bee', { mode: 0o755 });
    tree.file('usr/bin/a', new Uint8Array([1, 2, 3]));
    tree.symlink('usr/bin/c', 'a');
    tree.link('usr/bin/hard', 'usr/bin/a');
    const paths = [...tree.walk()].map(([p]) => p);
    expect(paths).toEqual(['', 'usr', 'usr/bin', 'usr/bin/a', 'usr/bin/b', 'usr/bin/c', 'usr/bin/hard']);
    expect(tree.get('usr/bin/hard')).toBe(tree.get('usr/bin/a'));
    expect(tree.get('usr')?.meta.mode).toBe(0o755);
    expect(tree.get('usr/bin/a')?.meta.mode).toBe(0o644);
  });

  it.each([[''], ['a/./b'], ['a/../b'], ['a\0b'], ['x'.repeat(257)]])('refuses invalid path %j', (path) => {
    const tree = new Tree();
    expect(() => tree.file(path, 'x')).toThrow(SquashfsError);
  });

  it('refuses duplicates with a typed error naming the path', () => {
    const tree = new Tree();
    tree.file('etc/x', 'a');
    try {
      tree.file('etc/x', 'b');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SquashfsError);
      expect((e as SquashfsError).code).toBe('DUPLICATE_NAME');
      expect((e as SquashfsError).path).toBe('etc/x');
    }
  });

  it('refuses symlink targets over 4095 bytes', () => {
    const tree = new Tree();
    expect(() => tree.symlink('l', 'a'.repeat(4096))).toThrow(/4095/);
    tree.symlink('ok', 'a'.repeat(4095));
  });

  it('sorts names by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, but after it in UTF-16.
    expect(compareNames('\uFF21', '\u{1F600}')).toBeLessThan(0);
    expect(['\u{1F600}', '\uFF21'].sort()).toEqual(['\u{1F600}', '\uFF21']);
  });
});

describe('xattr maps', () => {
  it('nodes without xattrs share one empty map that refuses changes; others get their own', () => {
    const tree = new Tree();
    const a = tree.file('a', 'a');
    const b = tree.file('b', 'b', { xattrs: {} });
    const c = tree.file('c', 'c', { xattrs: { 'user.k': 'v' } });
    expect(a.meta.xattrs.size).toBe(0);
    expect(a.meta.xattrs).toBe(b.meta.xattrs);
    expect(() => (a.meta.xattrs as Map<string, Uint8Array>).set('user.x', new Uint8Array(1))).toThrow(/assign meta.xattrs a new Map/);
    expect(b.meta.xattrs.size).toBe(0);
    expect(c.meta.xattrs).not.toBe(a.meta.xattrs);
    (c.meta.xattrs as Map<string, Uint8Array>).set('user.other', new Uint8Array([1]));
    expect(c.meta.xattrs.size).toBe(2);
    a.meta.xattrs = new Map([['user.x', new Uint8Array([2])]]);
    expect(b.meta.xattrs.size).toBe(0);
  });
});

describe('compareNames', () => {
  it('orders names as their UTF-8 bytes (strcmp), without encoding them', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', 'b', 'Z', '~', '\u00e9', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const text = fc.array(unit, { maxLength: 6 }).map((units) => units.join(''));
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareNames(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 3000 },
    );
    expect(compareNames('\uffff', '\u{10000}')).toBeLessThan(0); // UTF-16 code units say the opposite
    expect(compareNames('ab', 'a')).toBeGreaterThan(0);
  });
});

describe('nameBytes and the name length limit', () => {
  it('give the UTF-8 of any name, and refuse exactly the names longer than 256 bytes in UTF-8', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', 'Z', '.', '-', '\u007f', '\u0080', '\u00e9', '\u07ff', '\u0800', '\uffff', '\u{10000}', '\u{1f600}'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    );
    const name = fc.oneof(fc.array(unit, { minLength: 1, maxLength: 20 }), fc.array(unit, { minLength: 60, maxLength: 140 })).map((u) => u.join(''));
    fc.assert(
      fc.property(name, (n) => {
        const utf8 = Buffer.from(n, 'utf8');
        expect(Buffer.from(nameBytes(n)).equals(utf8)).toBe(true);
        const tooLong = nameProblem(n) === `longer than ${MAX_NAME_BYTES} bytes in UTF-8`;
        if (!n.includes('/') && !n.includes('\0') && n !== '.' && n !== '..') expect(tooLong).toBe(utf8.length > MAX_NAME_BYTES);
      }),
      { numRuns: 2000 },
    );
    expect(nameProblem('a'.repeat(256))).toBeUndefined();
    expect(nameProblem('a'.repeat(257))).toMatch(/longer than 256/);
    expect(nameProblem('\u00e9'.repeat(128))).toBeUndefined(); // 256 bytes in 128 units
    expect(nameProblem('\u00e9'.repeat(128) + 'a')).toMatch(/longer than 256/);
    expect(nameProblem('\u{1f600}'.repeat(64))).toBeUndefined(); // 4 bytes per 2 units
    expect(nameProblem('\u{1f600}'.repeat(64) + 'a')).toMatch(/longer than 256/);
  });
});
