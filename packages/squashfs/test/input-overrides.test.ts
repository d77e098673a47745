import { describe, expect, it } from 'vitest';
import { SquashfsError, Tree, applyOverrides, globToRegExp, matchGlob, parseOverride, parseOverrides } from '@sysext-bakery/squashfs';

describe('globToRegExp', () => {
  it.each([
    ['usr/bin/*', 'usr/bin/kubelet', true],
    ['usr/bin/*', 'usr/bin', false],
    ['usr/bin/*', 'usr/bin/a/b', false],
    ['usr/bin/*', 'usr/bin/.hidden', true],
    ['/usr/bin/*', 'usr/bin/x', true],
    ['./usr/bin/*', 'usr/bin/x', true],
    ['**', 'a', true],
    ['**', 'a/b/c', true],
    ['**', '', false],
    ['', '', true],
    ['/', '', true],
    ['**/*.sh', 'run.sh', true],
    ['**/*.sh', 'a/b/run.sh', true],
    ['**/*.sh', 'a/b/run.shx', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'ab', false],
    ['a/**', 'a', false],
    ['a/**', 'a/x/y', true],
    ['f?o', 'foo', true],
    ['f?o', 'f/o', false],
    ['[ab]*', 'apple', true],
    ['[ab]*', 'cherry', false],
    ['[!ab]*', 'cherry', true],
    ['[^ab]*', 'apple', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[]]', ']', true],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['ü*', 'über', true],
    ['usr/bin/{kubelet,kubectl}', 'usr/bin/kubectl', true],
    ['usr/bin/{kubelet,kubectl}', 'usr/bin/kubeadm', false],
    ['{a*,b}.txt', 'abc.txt', true],
    ['{a*,b}.txt', 'b.txt', true],
    ['{a*,b}.txt', 'c.txt', false],
    ['x{,.bak}', 'x', true],
    ['x{,.bak}', 'x.bak', true],
  ])('%j vs %j → %s', (pattern, path, expected) => {
    expect(matchGlob(pattern, path)).toBe(expected);
  });

  it.each([['a/**b'], ['a/[bc'], ['a\\'], ['a//b'], ['a{b'], ['a}b'], ['a{b{c}}']])('rejects %j', (pattern) => {
    expect(() => globToRegExp(pattern)).toThrow(SquashfsError);
  });
});

function sample(): Tree {
  const tree = new Tree();
  tree.file('usr/bin/kubelet', 'k', { mode: 0o600, uid: 1000, gid: 1000 });
  tree.file('usr/bin/kubectl', 'c');
  tree.symlink('usr/bin/k', 'kubectl');
  tree.file('usr/lib/x/run.sh', '#!/bin/sh');
  tree.link('usr/lib/hard', 'usr/bin/kubectl');
  return tree;
}

describe('applyOverrides', () => {
  it('applies rules in order, later wins, type-limited, counts matches', () => {
    const tree = sample();
    const result = applyOverrides(tree, [
      { pattern: 'usr/bin/*', mode: 0o755, uid: 0, gid: 0 },
      { pattern: 'usr/bin/kubelet', mode: 0o700 },
      { pattern: '**', type: 'dir', mtime: 42 },
      { pattern: '**/*.sh', mode: 0o750, type: ['file'] },
      { pattern: 'nothing/*', mode: 0o777 },
    ]);
    expect(result.matched).toEqual([3, 1, 4, 1, 0]);
    expect(tree.get('usr/bin/kubelet')!.meta).toMatchObject({ mode: 0o700, uid: 0, gid: 0, mtime: 0 });
    expect(tree.get('usr/bin/kubectl')!.meta.mode).toBe(0o755);
    expect(tree.get('usr/bin/k')!.meta.mode).toBe(0o755);
    // The hard link shares the node.
    expect(tree.get('usr/lib/hard')!.meta.mode).toBe(0o755);
    expect(tree.get('usr/lib/x/run.sh')!.meta.mode).toBe(0o750);
    expect(tree.get('usr/lib/x')!.meta.mtime).toBe(42);
    expect(tree.root.meta.mtime).toBe(0);
    applyOverrides(tree.root, [{ pattern: '/', mode: 0o700 }]);
    expect(tree.root.meta.mode).toBe(0o700);
  });

  it.each([
    [{ pattern: 'a', mode: 0o10000 }],
    [{ pattern: 'a', uid: -1 }],
    [{ pattern: 'a', gid: 2 ** 32 }],
    [{ pattern: 'a', mtime: 1.5 }],
    [{ pattern: 'a', type: 'door' as never }],
    [{ pattern: 'a/**b', mode: 0o755 }],
  ])('refuses %j', (rule) => {
    expect(() => applyOverrides(sample(), [rule])).toThrow(/invalid override/);
  });
});

describe('parseOverride', () => {
  it.each([
    ['usr/bin/* mode=0755 uid=0 gid=0', { pattern: 'usr/bin/*', mode: 0o755, uid: 0, gid: 0 }],
    ['usr/bin/* mode=755', { pattern: 'usr/bin/*', mode: 0o755 }],
    ['** type=d,f mtime=1700000000', { pattern: '**', type: ['dir', 'file'], mtime: 1700000000 }],
    ['** type=symlink uid=5', { pattern: '**', type: ['symlink'], uid: 5 }],
    ['0755:usr/bin/*', { pattern: 'usr/bin/*', mode: 0o755 }],
    ['4755:usr/bin/sudo', { pattern: 'usr/bin/sudo', mode: 0o4755 }],
    ['usr/bin/kubelet m 755 0 0', { pattern: 'usr/bin/kubelet', mode: 0o755, uid: 0, gid: 0 }],
    ['"my dir/*" mode=0700', { pattern: 'my dir/*', mode: 0o700 }],
    ['  "a\\"b" uid=1  ', { pattern: 'a"b', uid: 1 }],
  ])('%j', (text, expected) => {
    expect(parseOverride(text)).toEqual(expected);
  });

  it.each([
    ['', /empty rule/],
    ['usr/bin/*', /no attribute/],
    ['usr/bin/* mode=0855', /not an octal/],
    ['usr/bin/* mode=17777', /not in 0..0o7777/],
    ['usr/bin/* uid=-1', /not a decimal/],
    ['usr/bin/* uid=4294967296', /not an integer/],
    ['usr/bin/* colour=red', /unknown key "colour"/],
    ['usr/bin/* type=door', /unknown type "door"/],
    ['usr/bin/* mode=0755 mode=0700', /mode given twice/],
    ['"unterminated mode=0755', /unterminated quote/],
    ['usr/bin/* modeless', /expected key=value/],
  ])('refuses %j', (text, message) => {
    let error: unknown;
    try {
      parseOverride(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SquashfsError);
    expect((error as SquashfsError).code).toBe('INVALID_ARGUMENT');
    expect((error as SquashfsError).message).toMatch(message);
    expect((error as SquashfsError).message).toContain(JSON.stringify(text));
  });

  it('parses a rules file with comments and names the failing line', () => {
    const rules = parseOverrides('# perms\n\nusr/bin/* mode=0755\r\n  0700:etc/secret\n');
    expect(rules).toEqual([
      { pattern: 'usr/bin/*', mode: 0o755 },
      { pattern: 'etc/secret', mode: 0o700 },
    ]);
    expect(() => parseOverrides('a mode=0755\nb mode=9\n')).toThrow(/^line 2: invalid override "b mode=9"/);
  });
});
