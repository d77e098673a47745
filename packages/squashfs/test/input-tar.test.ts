import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsError, Tree, addTar, fromTar, type SquashfsWarning } from '@sysext-bakery/squashfs';
import { normalizeMemberPath } from '../src/input/tar.js';
import { buildFixture, compareTree, isRoot, listDisk, readContent, tempDir, xattr } from './input-fixture.js';

let work: string;
let src: string;

beforeAll(() => {
  work = tempDir('tar');
  src = join(work, 'src');
  buildFixture(src, { devices: true, xattrs: true });
  if (!isRoot) console.warn('input-tar: not root, so no device nodes and no foreign uid/gid in the fixture');
  if (xattr === undefined) console.warn('input-tar: @napi-rs/xattr missing, the fixture has no xattrs');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tar(args: string[]): string {
  const out = join(work, `a-${Math.random().toString(36).slice(2)}.tar`);
  execFileSync('tar', ['-C', src, '-cf', out, ...args, '.']);
  return out;
}

describe('fromTar against GNU tar archives of a real directory', () => {
  it.each([['gnu'], ['pax'], ['ustar'], ['posix-xattrs'], ['gzip']])('%s', async (format) => {
    let file: string;
    if (format === 'posix-xattrs') file = tar(['--format=pax', '--xattrs', '--xattrs-include=*']);
    else if (format === 'gzip') file = tar(['--format=gnu', '-z']);
    else if (format === 'ustar') {
      // ustar cannot hold the long target; leave that one out.
      file = join(work, 'ustar.tar');
      execFileSync('tar', ['-C', src, '-cf', file, '--format=ustar', '--exclude=./usr/long-target', '--exclude=./usr/lll*', '.']);
    } else file = tar([`--format=${format}`]);
    const warnings: SquashfsWarning[] = [];
    const tree = await fromTar(createReadStream(file, { highWaterMark: 7777 }), { rootFromArchive: true, onWarning: (w) => warnings.push(w) });
    const expected = listDisk(src, format === 'posix-xattrs');
    if (format === 'ustar') for (const p of expected.keys()) if (p === 'usr/long-target' || p.startsWith('usr/lll')) expected.delete(p);
    const problems = await compareTree(tree, expected, { root: true, xattrs: format === 'posix-xattrs' });
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    if (format === 'posix-xattrs' && xattr !== undefined) {
      expect(Buffer.from(tree.get('usr/bin/tool')!.meta.xattrs.get('trusted.overlay')!)).toEqual(Buffer.from([0, 1, 2, 255]));
    }
    const multi = tree.get('usr/bin/multi');
    expect(multi).toBe(tree.get('etc/multi-3'));
    if (isRoot) expect(tree.get('dev/big')).toMatchObject({ kind: 'chardev', major: 259, minor: 70000 });
  });

  const python = spawnSync('python3', ['-c', 'import tarfile']).status === 0;
  if (!python) console.warn('input-tar: python3 missing, the Python tarfile cross-check is SKIPPED');
  it.skipIf(!python).each([['PAX_FORMAT'], ['GNU_FORMAT']])('archives written by Python tarfile (%s, gzip)', async (format) => {
    const file = join(work, `py-${format}.tgz`);
    const script = `import tarfile,sys\nwith tarfile.open(sys.argv[2], 'w:gz', format=tarfile.${format}) as t: t.add(sys.argv[1], arcname='.')`;
    execFileSync('python3', ['-c', script, src, file]);
    const tree = await fromTar(readFileSync(file), { rootFromArchive: true });
    expect(await compareTree(tree, listDisk(src), { root: true })).toEqual([]);
  });

  it('maps the archive under a prefix and applies uid/gid/mtime overrides; root metadata only on request', async () => {
    const file = tar(['--format=gnu']);
    const tree = new Tree();
    tree.file('usr/local/bin/cni/existing', 'x');
    const summary = await addTar(tree, createReadStream(file), { prefix: 'usr/local/bin/cni', uid: 0, gid: 0, mtime: 7 });
    expect(summary.entries).toBeGreaterThan(20);
    expect(tree.get('usr/local/bin/cni/usr/bin/tool')?.meta).toMatchObject({ uid: 0, gid: 0, mtime: 7, mode: 0o755 });
    expect(tree.get('usr/local/bin/cni/etc/private/secret')?.meta).toMatchObject({ uid: 0, gid: 0, mode: 0o600 });
    expect(tree.get('usr/local/bin/cni/existing')?.kind).toBe('file');
    // Without rootFromArchive the prefix directory keeps the tree defaults.
    expect(tree.get('usr/local/bin/cni')?.meta).toMatchObject({ mode: 0o755, mtime: 0 });
  });

  it('filters members and refuses types outside allowTypes', async () => {
    // Sorted by name: etc/multi-3 is stored as the file, usr/bin/multi{,-2} as hard links to it.
    const file = tar(['--format=gnu', '--sort=name']);
    const warnings: SquashfsWarning[] = [];
    const tree = await fromTar([readFileSync(file)], {
      filter: (path, header) => !path.startsWith('etc') && header.type !== 'blockdev' && header.type !== 'chardev',
      onWarning: (w) => warnings.push(w),
    });
    expect([...tree.walk()].map(([p]) => p).filter((p) => p.startsWith('etc') || p.startsWith('dev/'))).toEqual([]);
    expect(tree.get('usr/bin/tool')?.kind).toBe('file');
    expect(tree.get('usr/bin/multi')).toBeUndefined();
    expect(tree.get('usr/bin/multi-2')).toBeUndefined();
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/hard link "usr\/bin\/multi" skipped/);
    await expect(fromTar([readFileSync(file)], { allowTypes: ['file', 'dir', 'symlink', 'hardlink'] })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('rebuilds GNU and PAX sparse files', async () => {
    const dir = join(work, 'sparse');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('truncate', ['-s', '3M', join(dir, 'big')]);
    execFileSync('sh', ['-c', `printf hello | dd of=${join(dir, 'big')} bs=1 seek=1048576 conv=notrunc 2>/dev/null; printf end >> ${join(dir, 'big')}`]);
    const expected = readFileSync(join(dir, 'big'));
    for (const format of ['gnu', 'pax']) {
      const file = join(work, `sparse-${format}.tar`);
      execFileSync('tar', ['-C', dir, '-cf', file, `--format=${format}`, '--sparse', 'big']);
      expect(readFileSync(file).length).toBeLessThan(100_000);
      const tree = await fromTar([readFileSync(file)]);
      const node = tree.get('big')!;
      expect(node.kind).toBe('file');
      expect((await readContent(node)).equals(expected)).toBe(true);
      expect([...tree.walk()].map(([p]) => p)).toEqual(['', 'big']);
    }
  });
});

// ---- hand-made archives ----

function header(name: string, opts: { type?: string; size?: number; linkname?: string; mode?: number; badChecksum?: boolean; magic?: 'ustar' | 'gnu' } = {}): Uint8Array {
  const b = new Uint8Array(512);
  const put = (at: number, text: string): void => b.set(new TextEncoder().encode(text), at);
  const octal = (at: number, len: number, v: number): void => put(at, v.toString(8).padStart(len - 1, '0'));
  put(0, name);
  octal(100, 8, opts.mode ?? 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, opts.size ?? 0);
  octal(136, 12, 1_700_000_000);
  put(156, opts.type ?? '0');
  if (opts.linkname !== undefined) put(157, opts.linkname);
  if (opts.magic === 'gnu') put(257, 'ustar  ');
  else {
    put(257, 'ustar');
    put(263, '00');
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  put(148, `${(opts.badChecksum === true ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `);
  return b;
}

function data(text: string | Uint8Array): Uint8Array {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const out = new Uint8Array(Math.ceil(bytes.length / 512) * 512);
  out.set(bytes);
  return out;
}

function pax(records: Record<string, string>): Uint8Array {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = rest.length + 1;
    while (`${len}${rest}`.length !== len) len++;
    body += `${len}${rest}`;
  }
  const bytes = new TextEncoder().encode(body);
  return concat(header('PaxHeaders/x', { type: 'x', size: bytes.length }), data(bytes));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const END = new Uint8Array(1024);

async function failure(parts: Uint8Array[], options: Parameters<typeof fromTar>[1] = {}): Promise<SquashfsError> {
  try {
    await fromTar([concat(...parts)], options);
  } catch (e) {
    expect(e).toBeInstanceOf(SquashfsError);
    return e as SquashfsError;
  }
  throw new Error('fromTar accepted the archive');
}

describe('fromTar refuses malicious or broken archives', () => {
  it('accepts the hand-made baseline', async () => {
    const tree = await fromTar(concat(header('./a/'), header('a/f', { size: 3 }), data('abc'), header('a/h', { type: '1', linkname: './a/f' }), END));
    expect(tree.get('a/f')).toBe(tree.get('a/h'));
    expect(await readContent(tree.get('a/f')!)).toEqual(Buffer.from('abc'));
  });

  it.each([
    ['absolute path', [header('/etc/passwd', { size: 1 }), data('x'), END], 'INVALID_NAME', /absolute/],
    ['.. escape', [header('a/../../etc/passwd', { size: 1 }), data('x'), END], 'INVALID_NAME', /"\.\."/],
    ['.. in a PAX path', [pax({ path: '../x' }), header('harmless', { size: 0 }), END], 'INVALID_NAME', /"\.\."/],
    ['.. in a GNU long name', [header('././@LongLink', { type: 'L', size: 6, magic: 'gnu' }), data('../x\0'), header('short', { magic: 'gnu' }), END], 'INVALID_NAME', /"\.\."/],
    ['hard link to a missing member', [header('h', { type: '1', linkname: 'nothere' }), END], 'NOT_FOUND', /nothere/],
    ['hard link to a later member', [header('h', { type: '1', linkname: 'f' }), header('f', { size: 0 }), END], 'NOT_FOUND', /"h"/],
    ['hard link outside', [header('f'), header('h', { type: '1', linkname: '../f' }), END], 'INVALID_NAME', /"\.\."/],
    ['hard link to a directory', [header('d/', { type: '5' }), header('h', { type: '1', linkname: 'd' }), END], 'UNSUPPORTED', /directory/],
    ['bad checksum', [header('f', { badChecksum: true }), END], 'INVALID_ARGUMENT', /checksum mismatch/],
    ['truncated data', [header('f', { size: 2000 }), data('x'.repeat(600))], 'INVALID_ARGUMENT', /truncated tar archive.*"f"/],
    ['8 GiB claimed, 600 bytes present', [header('f', { size: 0o77777777777 }), data('x'.repeat(600))], 'INVALID_ARGUMENT', /truncated tar archive.*"f" \(1024 of 8589934591 bytes\)/],
    ['huge GNU long name', [header('././@LongLink', { type: 'L', size: 0o77777777777, magic: 'gnu' }), END], 'LIMIT_EXCEEDED', /GNU long name/],
    ['truncated header', [header('f', { size: 0 }), new Uint8Array(100)], 'INVALID_ARGUMENT', /truncated tar archive: inside a header/],
    ['no end marker', [header('f', { size: 1 }), data('x')], 'INVALID_ARGUMENT', /truncated tar archive: ended without/],
    ['empty input', [], 'INVALID_ARGUMENT', /truncated tar archive/],
    ['unknown type flag', [header('f', { type: 'Z' }), END], 'UNSUPPORTED', /type flag "Z"/],
    ['multi-volume member', [header('f', { type: 'M' }), END], 'UNSUPPORTED', /type flag "M"/],
    ['file over a directory', [header('d/', { type: '5' }), header('d/x'), header('d'), END], 'DUPLICATE_NAME', /"d"/],
    ['path through a symlink', [header('l', { type: '2', linkname: '/etc' }), header('l/passwd', { size: 0 }), END], 'NOT_A_DIRECTORY', /symlink/],
    ['malformed PAX record', [concat(header('PaxHeaders/x', { type: 'x', size: 10 }), data('99 path=x\n')), header('f'), END], 'INVALID_ARGUMENT', /malformed PAX record/],
    ['symlink target over 4095 bytes', [pax({ linkpath: 'x'.repeat(5000) }), header('l', { type: '2', linkname: 'short' }), END], 'SYMLINK_TOO_LONG', /5000 bytes/],
    ['xz input', [new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0, 0, 0])], 'UNSUPPORTED', /xz-compressed/],
  ] as const)('%s', async (_label, parts, code, message) => {
    const error = await failure([...parts]);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('refuses a member name that is not UTF-8', async () => {
    const h = header('x');
    h[1] = 0xff;
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of h) sum += x;
    h.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    const error = await failure([h, END]);
    expect(error.code).toBe('INVALID_NAME');
    expect(error.message).toMatch(/not valid UTF-8/);
  });

  it('keeps escaping symlinks unless strict', async () => {
    const parts = [header('a/l', { type: '2', linkname: '../../etc/shadow' }), END];
    const tree = await fromTar([concat(...parts)]);
    expect(tree.get('a/l')).toMatchObject({ kind: 'symlink', target: '../../etc/shadow' });
    expect((await failure(parts, { strict: true })).message).toMatch(/points outside the archive/);
    expect((await failure([header('l', { type: '2', linkname: '/etc/shadow' }), END], { strict: true })).message).toMatch(/absolute target/);
    const ok = await fromTar([concat(header('a/b/l', { type: '2', linkname: '../x' }), END)], { strict: true });
    expect(ok.get('a/b/l')).toMatchObject({ target: '../x' });
  });

  it('accepts the unsigned and the historic signed header checksum, and nothing else', async () => {
    // "café" in UTF-8 has two bytes above 127: the signed sum is 512 less than the unsigned one.
    const withSum = (sum: (b: number) => number, delta = 0): Uint8Array => {
      const h = header('caf\u00e9', { size: 3 });
      h.fill(0x20, 148, 156);
      let total = delta;
      for (const x of h) total += sum(x);
      h.set(new TextEncoder().encode(`${total.toString(8).padStart(6, '0')}\0 `), 148);
      return concat(h, data('abc'), END);
    };
    const unsigned = (b: number): number => b;
    const signed = (b: number): number => (b > 127 ? b - 256 : b);
    for (const archive of [withSum(unsigned), withSum(signed)]) expect(await readContent((await fromTar([archive])).get('caf\u00e9')!)).toEqual(Buffer.from('abc'));
    for (const archive of [withSum(unsigned, 1), withSum(signed, -1), withSum(signed, 256)]) {
      const e = await failure([archive]);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(/header of "café": checksum mismatch/);
    }
  });

  it('refuses a corrupt or truncated gzip stream', async () => {
    const good = gzipSync(concat(header('f', { size: 3 }), data('abc'), END));
    const tree = await fromTar([good.subarray(0, 5), good.subarray(5)]);
    expect(await readContent(tree.get('f')!)).toEqual(Buffer.from('abc'));
    // Multi-member gzip (concatenated .gz files) is one stream.
    const whole = concat(header('f', { size: 3 }), data('abc'), END);
    const multi = concat(gzipSync(whole.subarray(0, 700)), gzipSync(whole.subarray(700)));
    expect(await readContent((await fromTar([multi])).get('f')!)).toEqual(Buffer.from('abc'));
    const cut = await failure([good.subarray(0, good.length - 12)]);
    expect(cut.code).toBe('INVALID_ARGUMENT');
    const flipped = good.slice();
    flipped[flipped.length - 6]! ^= 0xff; // the stored CRC/size trailer
    expect((await failure([flipped])).code).toBe('INVALID_ARGUMENT');
  });

  it('later non-directory members replace earlier ones, with a warning; PAX overrides and xattrs', async () => {
    const warnings: SquashfsWarning[] = [];
    const tree = await fromTar(
      [
        concat(
          header('f', { size: 1 }),
          data('1'),
          pax({ mtime: '1234567890.75', uid: '4000000000', 'SCHILY.xattr.user.k': 'v', 'SCHILY.xattr.system.posix_acl_access': 'z', 'LIBARCHIVE.xattr.user.b64': 'aGk=' }),
          header('f', { size: 1 }),
          data('2'),
          pax({ mtime: '-5' }),
          header('old'),
          END,
        ),
      ],
      { onWarning: (w) => warnings.push(w) },
    );
    const f = tree.get('f')!;
    expect(await readContent(f)).toEqual(Buffer.from('2'));
    expect(f.meta).toMatchObject({ mtime: 1234567890, uid: 4000000000 });
    expect(Object.fromEntries([...f.meta.xattrs].map(([k, v]) => [k, Buffer.from(v).toString()]))).toEqual({ 'user.k': 'v', 'user.b64': 'hi' });
    expect(tree.get('old')!.meta.mtime).toBe(0);
    expect(warnings.map((w) => w.code).sort()).toEqual(['OTHER', 'TIME_CLAMPED', 'XATTR_DROPPED']);
  });
});

describe('fromTar on damaged archives (property)', () => {
  it('either reads the archive or throws a SquashfsError, never anything else', async () => {
    const { default: fc } = await import('fast-check');
    const base = concat(
      pax({ path: 'dir/long-' + 'x'.repeat(120), 'SCHILY.xattr.user.k': 'v', mtime: '1700000000.5' }),
      header('ignored', { size: 5 }),
      data('hello'),
      header('././@LongLink', { type: 'L', size: 100, magic: 'gnu' }),
      data(`gnu/${'y'.repeat(95)}\0`),
      header('short', { size: 700, magic: 'gnu' }),
      data('z'.repeat(700)),
      header('dir/hard', { type: '1', linkname: `gnu/${'y'.repeat(95)}` }),
      header('dir/sym', { type: '2', linkname: '../short' }),
      header('dev', { type: '3' }),
      END,
    );
    expect((await fromTar([base])).get('dir/hard')).toBeDefined();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(base.length), { nil: undefined }),
        fc.nat(600),
        async (flips, cut, chunk) => {
          const bytes = base.slice(0, cut ?? base.length);
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i += chunk + 1) chunks.push(bytes.subarray(i, i + chunk + 1));
          try {
            await fromTar(chunks, { strict: flips.length % 2 === 0 });
          } catch (e) {
            if (!(e instanceof SquashfsError)) throw e;
          }
        },
      ),
      { numRuns: 300, seed: 20261126 },
    );
  });
});

describe('tar member paths', () => {
  // The definition the fast path must agree with: split on "/", drop empty and "." components,
  // refuse "..", absolute paths and NUL.
  const reference = (name: string): string => {
    if (name.startsWith('/') || name.includes('\0')) throw new Error('refused');
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new Error('refused');
    return parts.join('/');
  };
  const outcome = (f: () => string): string => {
    try {
      return `ok ${f()}`;
    } catch {
      return 'refused';
    }
  };

  it('normalizeMemberPath gives what splitting and joining gives, for any mix of ".", "/" and names', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b.c', '.', '..', '/', './', '.x', '..y', 'z..'), { maxLength: 12 }), (pieces) => {
        const name = pieces.join('');
        expect(outcome(() => normalizeMemberPath(name))).toBe(outcome(() => reference(name)));
      }),
      { numRuns: 3000 },
    );
    for (const [name, want] of [['./usr/bin/', 'usr/bin'], ['././a//b/./c', 'a/b/c'], ['./', ''], ['.', ''], ['a/..b', 'a/..b']] as const) {
      expect(normalizeMemberPath(name)).toBe(want);
    }
    for (const name of ['/etc', 'a/../b', '..', './..', 'a/b/..']) expect(() => normalizeMemberPath(name)).toThrow(SquashfsError);
  });
});
