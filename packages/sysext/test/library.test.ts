/** The library pieces in process: extension-release, validation, SHA256SUMS, sysupdate, buildSysext. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySink, SquashfsImage, Tree, sourceFromBytes, type DirNode } from '@sysext-bakery/squashfs';
import { fromDirectory } from '@sysext-bakery/squashfs/node';
import {
  SysextError,
  buildSysext,
  checkExtensionRelease,
  formatExtensionRelease,
  imageFileName,
  parseExtensionRelease,
  parseSha256Sums,
  sha256File,
  sysupdateFiles,
  updateSha256Sums,
  validateSysextTree,
} from '@sysext-bakery/sysext';

const H = (c: string) => c.repeat(64);

describe('extension-release', () => {
  it('writes the bakery fields in the bakery order', () => {
    expect(formatExtensionRelease({ arch: 'x86-64', reloadManager: true })).toBe('ID=_any\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n');
    expect(formatExtensionRelease({ os: 'flatcar', arch: 'arm64' })).toBe('ID=flatcar\nSYSEXT_LEVEL=1.0\nARCHITECTURE=arm64\n');
    expect(formatExtensionRelease({ extra: { SYSEXT_SCOPE: 'system portable', SYSEXT_VERSION_ID: '1.2' } })).toBe('ID=_any\nSYSEXT_SCOPE="system portable"\nSYSEXT_VERSION_ID=1.2\n');
  });

  it('refuses what systemd would not match', () => {
    expect(() => formatExtensionRelease({ arch: 'amd64' })).toThrow(/unknown architecture "amd64"/);
    expect(() => formatExtensionRelease({ extra: { ID: 'x' } })).toThrow(/set by its own option/);
    expect(() => formatExtensionRelease({ extra: { lower: 'x' } })).toThrow(/invalid extension-release key/);
  });

  it('parses os-release syntax back', () => {
    const text = formatExtensionRelease({ os: 'flatcar', arch: 'x86-64', extra: { SYSEXT_SCOPE: 'system "x" $y' } });
    const fields = parseExtensionRelease(`# comment\n${text}`);
    expect(fields.get('SYSEXT_SCOPE')).toBe('system "x" $y');
    expect(checkExtensionRelease(fields).errors).toEqual([]);
    expect(checkExtensionRelease(new Map([['ID', 'fedora']])).errors[0]).toMatch(/without SYSEXT_LEVEL/);
    expect(() => parseExtensionRelease('ID="open\n')).toThrow(/unterminated quote/);
  });
});

describe('SHA256SUMS', () => {
  it('adds, replaces by name, keeps the others, sorts, ends in a newline', () => {
    let t = updateSha256Sums('', { name: 'b.raw', sha256: H('b') });
    t = updateSha256Sums(t, { name: 'a.raw', sha256: H('a') });
    t = updateSha256Sums(t, { name: 'b.raw', sha256: H('c') });
    expect(t).toBe(`${H('a')}  a.raw\n${H('c')}  b.raw\n`);
    expect(parseSha256Sums(`${H('d')} *x.raw\n`)).toEqual([{ sha256: H('d'), name: 'x.raw' }]);
  });

  it('sha256File agrees with sha256sum around its 2 MiB read size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sha-'));
    try {
      for (const size of [0, 1, (2 << 20) - 1, 2 << 20, (2 << 20) + 1, (4 << 20) + 4097]) {
        const path = join(dir, `f${size}`);
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
        writeFileSync(path, bytes);
        const oracle = spawnSync('sha256sum', [path], { encoding: 'utf8' }).stdout.split(' ')[0];
        expect(await sha256File(path), `size ${size}`).toBe(oracle);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what systemd-sysupdate refuses', () => {
    expect(() => parseSha256Sums(`${H('a')}  a.raw`)).toThrow(/truncated/);
    expect(() => updateSha256Sums('', { name: '/abs.raw', sha256: H('a') })).toThrow(/cannot be listed/);
    expect(() => updateSha256Sums('', { name: 'a/../b.raw', sha256: H('a') })).toThrow(/cannot be listed/);
    expect(() => updateSha256Sums('', { name: 'a.raw', sha256: 'ABC' })).toThrow(/not a lower-case SHA-256/);
  });
});

describe('sysupdate', () => {
  it('writes both confs and their .transfer twins', () => {
    const files = sysupdateFiles({ name: 'kubernetes', releaseUrl: 'https://x.example/k', minorSeries: 'v1.32' });
    expect(files.map((f) => f.name)).toEqual(['kubernetes.conf', 'kubernetes-v1.32.conf', 'kubernetes.transfer', 'kubernetes-v1.32.transfer']);
    expect(files[1]!.content).toContain('Path=https://x.example/k/\nMatchPattern=kubernetes-v1.32.@v-%a.raw\n');
    expect(files[3]!.content).toBe(files[1]!.content);
  });

  it('names images as the bakery does', () => {
    expect(imageFileName('kubernetes', 'v1.32.0', 'x86-64')).toBe('kubernetes-v1.32.0-x86-64.raw');
    expect(imageFileName('foo')).toBe('foo.raw');
    expect(() => imageFileName('foo', 'v1 2')).toThrow(/cannot be matched/);
  });
});

describe('validateSysextTree', () => {
  const tree = (paths: Record<string, 'file' | 'dir' | 'link'>) => {
    const t = new Tree();
    for (const [p, k] of Object.entries(paths)) {
      if (k === 'file') t.file(p, 'x');
      else if (k === 'dir') t.dir(p);
      else t.symlink(p, 'bin');
    }
    return t.root;
  };
  it('accepts usr/ and opt/, and a usr/sbin symlink', () => {
    expect(validateSysextTree(tree({ 'usr/bin/a': 'file', 'opt/x/y': 'file', 'usr/sbin': 'link' }), 'n')).toEqual([]);
  });
  it('refuses the rest with typed errors', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SysextError);
        return (e as SysextError).code;
      }
      return 'none';
    };
    expect(code(() => validateSysextTree(tree({ 'var/x': 'file' }), 'n'))).toBe('FORBIDDEN_CONTENT');
    expect(code(() => validateSysextTree(tree({ usr: 'link' }), 'n'))).toBe('FORBIDDEN_CONTENT');
    expect(code(() => validateSysextTree(tree({ 'usr/sbin/x': 'file' }), 'n'))).toBe('FORBIDDEN_CONTENT');
    expect(code(() => validateSysextTree(tree({ 'usr/lib/os-release': 'file' }), 'n'))).toBe('FORBIDDEN_CONTENT');
    expect(code(() => validateSysextTree(tree({ 'usr/lib/extension-release.d/extension-release.m': 'file' }), 'n'))).toBe('NAME_MISMATCH');
    expect(code(() => validateSysextTree(tree({ 'usr/lib/extension-release.d/extension-release.n': 'file' }), 'n', { ownRelease: true }))).toBe('FORBIDDEN_CONTENT');
  });
});

describe('buildSysext', () => {
  it('encodes a virtual tree to a sink, root-owned and clamped, without touching the input', async () => {
    const t = new Tree();
    t.file('usr/bin/app', '#!/bin/sh\n', { mode: 0o755, uid: 1000, gid: 1000, mtime: 2_000_000_000 });
    const sink = new MemorySink();
    const result = await buildSysext({ name: 'app', arch: 'arm64', files: t, output: sink, epoch: 1_000_000_000 });
    expect(result.extensionRelease).toBe('ID=_any\nARCHITECTURE=arm64\n');
    expect(t.get('usr/lib')).toBeUndefined();
    const image = await SquashfsImage.open(sourceFromBytes(sink.bytes()));
    const st = await image.stat('usr/bin/app');
    expect([st.uid, st.gid, st.mtime, st.mode]).toEqual([0, 0, 1_000_000_000, 0o755]);
    expect(image.superblock.mkfsTime).toBe(1_000_000_000);
    expect(new TextDecoder().decode(await image.readFile('usr/lib/extension-release.d/extension-release.app'))).toBe('ID=_any\nARCHITECTURE=arm64\n');
    expect((await image.stat('usr/lib/extension-release.d')).mtime).toBe(1_000_000_000);
  });

  it('reads a tree of directories still to be read (lazy): checks them and keeps every entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazy-'));
    try {
      const write = (p: string, text: string) => {
        mkdirSync(join(dir, p, '..'), { recursive: true });
        writeFileSync(join(dir, p), text);
      };
      write('usr/bin/app', 'app\n');
      write('usr/lib/systemd/system/app.service', '[Service]\n');
      write('usr/lib/extension-release.d/README', 'kept\n');
      // A lazy tree given as a DirNode, and a directory path (read the same way).
      for (const files of [(await fromDirectory(dir, { lazy: true, sync: true })).root, (await fromDirectory(dir, { lazy: true, sync: false })).root, dir]) {
        if (typeof files !== 'string') expect((files.entries.get('usr') as DirNode).load).toBeDefined();
        const sink = new MemorySink();
        await buildSysext({ name: 'app', files, output: sink });
        const image = await SquashfsImage.open(sourceFromBytes(sink.bytes()));
        expect((await image.readdir('usr/lib/extension-release.d')).map((e) => e.name)).toEqual(['README', 'extension-release.app']);
        expect(new TextDecoder().decode(await image.readFile('usr/lib/systemd/system/app.service'))).toBe('[Service]\n');
        expect(new TextDecoder().decode(await image.readFile('usr/bin/app'))).toBe('app\n');
      }
      // What the checks look at is read before they look.
      write('usr/lib/os-release', 'ID=x\n');
      const { root } = await fromDirectory(dir, { lazy: true, sync: false });
      await expect(buildSysext({ name: 'app', files: root, output: new MemorySink() })).rejects.toMatchObject({ code: 'FORBIDDEN_CONTENT' });
      await expect(buildSysext({ name: 'app', files: dir, output: new MemorySink() })).rejects.toMatchObject({ code: 'FORBIDDEN_CONTENT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad names and options', async () => {
    const files = new Tree();
    await expect(buildSysext({ name: 'a/b', files, output: new MemorySink() })).rejects.toThrow(/invalid extension name/);
    await expect(buildSysext({ name: 'a.raw', files, output: new MemorySink() })).rejects.toThrow(/must not end in ".raw"/);
    await expect(buildSysext({ name: 'a', files, output: new MemorySink(), epoch: -1 })).rejects.toThrow(/epoch/);
  });
});

describe('tarStream', () => {
  it('a gzipped source that fails midway fails the reader with its error (no unhandled stream error)', async () => {
    const { gzipSync } = await import('node:zlib');
    const { tarStream } = await import('../src/archive-stream.js');
    const gz = gzipSync(Buffer.alloc(200_000, 7));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gz.subarray(0, 100);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('source broke');
    }
    let n = 0;
    const read = async (): Promise<void> => {
      for await (const chunk of await tarStream(failing())) n += chunk.length;
    };
    await expect(read()).rejects.toThrow('source broke');
    // And a whole stream still gunzips.
    let total = 0;
    for await (const chunk of await tarStream((async function* () { yield gz; })())) total += chunk.length;
    expect(total).toBe(200_000);
  });
});
