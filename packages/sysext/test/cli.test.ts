/** The bakery CLI, spawned as users run it: help, errors and exit codes, generic builds, pack, inspect, verify, list. */
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { truncate } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { CLI, ensureBuilt, hasTool, runBakery, tool } from './helpers/cli.js';
import { serveDirectory, tarArchive, writeMirror } from './helpers/mirror.js';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { runCli } from '@sysext-bakery/sysext';

const haveTools = hasTool('mksquashfs') && hasTool('unsquashfs') && hasTool('sqfsdiff');
if (!haveTools) console.warn('cli.test: mksquashfs/unsquashfs/sqfsdiff missing: the oracle comparisons are SKIPPED');

let work: string;

/** Runs the CLI in this process with captured streams (for the cheap cases; the rest spawn it). */
async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk, _e, cb) { append(String(chunk)); cb(); } });
  const code = await runCli(argv, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)) as unknown as NodeJS.WriteStream,
    stdin: process.stdin,
    env: {},
    cwd: work,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'bakery-cli-'));
});
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function makeTree(dir: string, files: Record<string, string | { mode: number; content: string } | { link: string }>): Promise<string> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  for (const [path, spec] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(join(full, '..'), { recursive: true });
    if (typeof spec === 'string') await writeFile(full, spec);
    else if ('link' in spec) await symlink(spec.link, full);
    else {
      await writeFile(full, spec.content);
      await chmod(full, spec.mode);
    }
  }
  return dir;
}

describe('help and usage errors', () => {
  it.each(['create', 'list', 'pack', 'inspect', 'verify'])('bakery %s --help prints usage and exits 0 (in process: runCli)', async (verb) => {
    const r = await inProcess([verb, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: bakery ${verb}`));
    expect(r.stderr).toBe('');
    const h = await inProcess(['help', verb]);
    expect(h.stdout).toBe(r.stdout);
  });

  it('bakery --help lists every verb', async () => {
    const r = await runBakery(['--help']);
    expect(r.code).toBe(0);
    for (const verb of ['create', 'list', 'pack', 'inspect', 'verify']) expect(r.stdout).toContain(`  ${verb} `);
  });

  it('an unknown verb or flag is a usage error (exit 2, one line, no stack)', async () => {
    const r = await runBakery(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bakery: unknown command "frobnicate" (bakery --help)\n');
    const f = await runBakery(['pack', '--frob', 'a', 'b']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/^bakery: .*--frob/);
    expect(f.stderr.split('\n')).toHaveLength(2);
  });

  it('--debug adds the stack trace', async () => {
    const r = await runBakery(['create', 'nosuchrecipe', '--debug'], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bakery: "nosuchrecipe" is neither a recipe/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('bad values name the flag', async () => {
    const r = await runBakery(['create', 'kubernetes', 'v1.98.1', '--compression', 'lz4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bakery: --compression takes gzip, zstd, not "lz4"\n');
    const a = await runBakery(['create', 'kubernetes', 'v1.98.1', 'riscv64', '--offline', '--cache-dir', join(work, 'nocache')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^bakery: recipe kubernetes builds for x86-64, arm64, not "riscv64"/);
  });
});

describe('bakery create <directory>', () => {
  it.skipIf(!haveTools)('builds any tree; equal to mksquashfs -all-root with SOURCE_DATE_EPOCH=0 under sqfsdiff -T', async () => {
    const src = await makeTree(join(work, 'generic'), {
      'usr/bin/hello': { mode: 0o755, content: '#!/bin/sh\necho hello\n' },
      'usr/share/hello/data.txt': 'data\n',
      'usr/lib/systemd/system/hello.service': '[Service]\nExecStart=/usr/bin/hello\n',
      'opt/hello/link': { link: '../../usr/bin/hello' },
    });
    const out = join(work, 'generic-out');
    const r = await runBakery(['create', src, '1.2.3', 'arm64', '--name', 'hello', '--output-dir', out, '--force-reload', 'true', '--extension-release', 'SYSEXT_SCOPE=system portable']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readdir(out)).toEqual(['SHA256SUMS', 'hello-1.2.3-arm64.raw']);
    const digest = createHash('sha256').update(await readFile(join(out, 'hello-1.2.3-arm64.raw'))).digest('hex');
    expect(await readFile(join(out, 'SHA256SUMS'), 'utf8')).toContain(`${digest} `);
    const exp = await makeTree(join(work, 'generic-exp'), {
      'usr/bin/hello': { mode: 0o755, content: '#!/bin/sh\necho hello\n' },
      'usr/share/hello/data.txt': 'data\n',
      'usr/lib/systemd/system/hello.service': '[Service]\nExecStart=/usr/bin/hello\n',
      'opt/hello/link': { link: '../../usr/bin/hello' },
      'usr/lib/extension-release.d/extension-release.hello': 'ID=_any\nARCHITECTURE=arm64\nEXTENSION_RELOAD_MANAGER=1\nSYSEXT_SCOPE="system portable"\n',
    });
    await tool('chmod', ['-R', 'u=rwX,go=rX', exp]);
    await tool('chmod', ['755', join(exp, 'usr/bin/hello')]);
    await tool('chmod', ['-R', 'u=rwX,go=rX', src]);
    const ref = join(work, 'generic-ref.img');
    expect((await tool('mksquashfs', [exp, ref, '-all-root', '-noappend', '-quiet'], { SOURCE_DATE_EPOCH: '0' })).code).toBe(0);
    const diff = await tool('sqfsdiff', ['-T', '-a', ref, '-b', join(out, 'hello-1.2.3-arm64.raw')]);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
  });

  it.each([
    ['content outside usr/ and opt/', { 'etc/foo.conf': 'x' }, /"etc" is outside usr\/ and opt\//],
    ['a real usr/sbin directory', { 'usr/sbin/tool': 'x' }, /"usr\/sbin" is a real directory/],
    ['usr/lib/os-release', { 'usr/lib/os-release': 'ID=x\n' }, /usr\/lib\/os-release.*refuses/],
    ['an extension-release of another name', { 'usr/lib/extension-release.d/extension-release.other': 'ID=_any\n' }, /names the extension "other", but the image is "mine"/],
  ] as const)('refuses %s with a clear message (exit 1, nothing written)', async (_what, files, message) => {
    const dir = await makeTree(join(work, `bad-${Math.random().toString(36).slice(2)}`), { 'usr/bin/ok': 'ok', ...files });
    const out = join(work, `bad-out-${Math.random().toString(36).slice(2)}`);
    const r = await runBakery(['create', dir, '--name', 'mine', '--output-dir', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.startsWith('bakery: ')).toBe(true);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('sysupdate and Butane need a version and a release URL for directory builds', async () => {
    const dir = await makeTree(join(work, 'nover'), { 'usr/bin/ok': 'ok' });
    const r = await runBakery(['create', dir, '--name', 'nover', '--sysupdate', 'true', '--output-dir', join(work, 'nover-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/need a version/);
    const u = await runBakery(['create', dir, '1.0', '--name', 'nover', '--butane', '--output-dir', join(work, 'nover-out')]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/need --release-url/);
  });
});

describe('bakery pack', () => {
  it('--processors N limits the cores used and gives the same image; 0 is refused before anything is written', async () => {
    const src = await makeTree(join(work, 'procsrc'), { 'big.bin': 'y'.repeat(1_000_000), 'small.txt': 'hello\n' });
    const images: Buffer[] = [];
    for (const args of [[], ['--processors', '1'], ['--processors', '3']]) {
      for (const comp of ['gzip', 'zstd']) {
        const img = join(work, `proc-${comp}-${args.join('') || 'default'}.img`);
        const r = await runBakery(['pack', src, img, '--compression', comp, ...args], { env: { SOURCE_DATE_EPOCH: '1' } });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        images.push(await readFile(img));
        // The digest printed is the file's (hashed while the image is closed and renamed).
        expect(r.stdout).toContain(`sha256   ${createHash('sha256').update(images[images.length - 1]!).digest('hex')}\n`);
      }
    }
    for (let i = 2; i < images.length; i++) expect(images[i]!.equals(images[i % 2]!), `run ${i}`).toBe(true);
    const bad = join(work, 'proc-bad.img');
    const r = await runBakery(['pack', src, bad, '--processors', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--processors takes a whole number in 1\.\.4096/);
    await expect(readFile(bad)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('loads undici only for downloads: not for pack, help or a create from a local mirror; for one over HTTP', async () => {
    const src = await makeTree(join(work, 'packlight'), { 'a.txt': 'alpha\n' });
    // Reports, at exit, the CommonJS modules loaded from an undici directory (undici is CommonJS).
    const probe = `data:text/javascript,${encodeURIComponent(
      "import { createRequire } from 'node:module'; const cache = createRequire(process.cwd() + '/').cache;" +
        "process.on('exit', () => process.stderr.write('UNDICI ' + Object.keys(cache).filter((k) => k.includes('/undici/')).length + '\\n'));",
    )}`;
    const run = (args: string[]) =>
      new Promise<string>((done, fail) => {
        const child = spawn(process.execPath, ['--import', probe, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.on('error', fail);
        child.on('close', () => done(err));
      });
    expect(await run(['pack', src, join(work, 'packlight.img')])).toBe('UNDICI 0\n');
    expect(await run(['help', 'create'])).toBe('UNDICI 0\n');
    // The same build from the mirror as a directory, then over HTTP (a fresh cache each time).
    const mirror = await writeMirror(join(work, 'undicimirror'), { k8sVersions: ['v1.97.0'], cniVersion: 'v9.9.0', arches: ['amd64'] });
    const build = (k8s: string, cni: string, name: string) => ['create', 'kubernetes', 'v1.97.0', 'x86-64', '--cni-version', 'v9.9.0', '--k8s-base-url', k8s, '--cni-base-url', cni, '--cache-dir', join(work, `${name}-cache`), '--output-dir', join(work, name)];
    expect(await run(build(mirror.k8s, mirror.cni, 'undici-local'))).toBe('UNDICI 0\n');
    const server = await serveDirectory(mirror.root);
    try {
      expect(await run(build(`${server.url}/k8s`, `${server.url}/cni`, 'undici-http'))).toMatch(/^UNDICI [1-9]\d*\n$/);
    } finally {
      await server.close();
    }
    const image = 'kubernetes-v1.97.0-x86-64.raw';
    expect(await readFile(join(work, 'undici-http', image))).toEqual(await readFile(join(work, 'undici-local', image)));
  });

  it.skipIf(!haveTools)('is a drop-in for mksquashfs <dir> <image> -noappend, honouring SOURCE_DATE_EPOCH', async () => {
    const src = await makeTree(join(work, 'packsrc'), {
      'a.txt': 'alpha\n',
      'bin/tool': { mode: 0o4755, content: 'x'.repeat(300_000) },
      'dup1': 'same content\n',
      'sub/dup2': 'same content\n',
      'sub/link': { link: '../a.txt' },
    });
    for (const comp of ['gzip', 'zstd'] as const) {
      const ours = join(work, `pack-${comp}.img`);
      const ref = join(work, `pack-${comp}-ref.img`);
      const r = await runBakery(['pack', src, ours, '--compression', comp, '--no-xattrs'], { env: { SOURCE_DATE_EPOCH: '1000' } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((await tool('mksquashfs', [src, ref, '-noappend', '-quiet', '-comp', comp, '-no-xattrs'], { SOURCE_DATE_EPOCH: '1000' })).code).toBe(0);
      const diff = await tool('sqfsdiff', ['-T', '-a', ref, '-b', ours]);
      expect(diff.stdout).toBe('');
      expect(diff.code).toBe(0);
      const s = await tool('unsquashfs', ['-s', ours]);
      expect(s.stdout).toContain(`Compression ${comp}`);
      expect(s.stdout).toContain('Creation or last append time Thu Jan  1 00:16:40 1970');
    }
  });

  it.skipIf(!haveTools)('--all-root, --override, --block-size and --tar from stdin', async () => {
    const tar = gzipSync(
      tarArchive([
        { name: 'usr/', type: 'dir', mode: 0o700 },
        { name: 'usr/bin/', type: 'dir', mode: 0o755 },
        { name: 'usr/bin/app', mode: 0o644, content: 'app\n', uid: 1234, gid: 99 },
      ]),
    );
    const ours = join(work, 'tar.img');
    const r = await runBakery(['pack', '--tar', '-', ours, '--all-root', '--override', 'usr mode=0755', '--override', 'usr/bin/* mode=0755', '--block-size', '4K'], { input: tar });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const l = await tool('unsquashfs', ['-lln', ours]);
    expect(l.stdout).toMatch(/drwxr-xr-x 0\/0 +\d+ \S+ \S+ squashfs-root\/usr\n/);
    expect(l.stdout).toMatch(/-rwxr-xr-x 0\/0 +4 \S+ \S+ squashfs-root\/usr\/bin\/app\n/);
    expect((await tool('unsquashfs', ['-s', ours])).stdout).toContain('Block size 4096');
  });

  it('--tar of an archive larger than the memory kept for it: spooled, the same image as the plain tar, and no spool left (also when the archive is cut short)', async () => {
    // 96 MiB of contents (past the 64 MiB kept in memory): two patterned files, gzip makes ~0.3 MB.
    const big = Buffer.alloc(48 << 20);
    for (let i = 0; i < big.length; i += 4096) big.write(`block ${i}\n`, i);
    const members = [
      { name: 'usr/', type: 'dir' as const, mode: 0o755 },
      { name: 'usr/share/', type: 'dir' as const, mode: 0o755 },
      { name: 'usr/share/a', mode: 0o644, content: big },
      { name: 'usr/share/b', mode: 0o644, content: Buffer.concat([big.subarray(1), Buffer.from('b')]) },
      { name: 'usr/share/small', mode: 0o644, content: 'small\n' },
    ];
    const plain = tarArchive(members);
    const gz = gzipSync(plain, { level: 1 });
    const out = join(work, 'spool-out');
    await mkdir(out, { recursive: true });
    await writeFile(join(work, 'spool.tar'), plain);
    await writeFile(join(work, 'spool.tgz'), gz);
    const fromPlain = await runBakery(['pack', '--tar', join(work, 'spool.tar'), join(out, 'plain.img'), '--compression', 'none']);
    expect(fromPlain.stderr).toBe('');
    expect(fromPlain.code).toBe(0);
    const fromGz = await runBakery(['pack', '--tar', '-', join(out, 'gz.img'), '--compression', 'none'], { input: gz });
    expect(fromGz.stderr).toBe('');
    expect(fromGz.code).toBe(0);
    const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    expect(await sha(join(out, 'gz.img'))).toBe(await sha(join(out, 'plain.img')));
    // What unsquashfs reads back is the member (a spooled one: past the first 64 MiB).
    await tool('unsquashfs', ['-d', join(work, 'spool-x'), join(out, 'gz.img')]);
    expect(createHash('sha256').update(await readFile(join(work, 'spool-x/usr/share/b'))).digest('hex')).toBe(createHash('sha256').update(members[3]!.content as Buffer).digest('hex'));
    expect((await readdir(out)).sort()).toEqual(['gz.img', 'plain.img']);
    // Cut short after the first big member: the spool had started; nothing is left behind.
    const cut = gzipSync(plain.subarray(0, (80 << 20) + 512), { level: 1 });
    const failed = await runBakery(['pack', '--tar', '-', join(out, 'cut.img')], { input: cut });
    expect(failed.code).toBe(2); // bad input
    expect(failed.stderr).toMatch(/truncated tar archive/);
    expect((await readdir(out)).sort()).toEqual(['gz.img', 'plain.img']);
  });

  it('--tar interrupted (SIGINT) while spooling: exits 130 and leaves neither the spool nor a temp image', async () => {
    const out = join(work, 'spool-sigint');
    await mkdir(out, { recursive: true });
    // One 80 MiB member: past the 64 MiB kept in memory, so the spool file appears; stdin then
    // stays open with the member unfinished, so the command is still reading when signalled.
    const header = tarArchive([{ name: 'usr/big', mode: 0o644, content: Buffer.alloc(80 << 20, 7) }]).subarray(0, 512);
    const child = spawn(process.execPath, [CLI, 'pack', '--tar', '-', join(out, 'x.img')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
    child.stdin.on('error', () => {}); // EPIPE once it is gone
    child.stdin.write(header);
    child.stdin.write(Buffer.alloc(70 << 20, 7));
    let seen: string[] = [];
    for (let i = 0; i < 600 && !seen.some((n) => n.includes('.spool-')); i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await readdir(out);
    }
    expect(seen.some((n) => n.startsWith('.x.img.spool-'))).toBe(true);
    child.kill('SIGINT');
    const { code } = await exited;
    child.stdin.destroy();
    expect(code).toBe(130);
    expect(await readdir(out)).toEqual([]);
  });

  it('a bad name deep in the tree (read while writing) fails with the path, leaving no image or temp file', async () => {
    const src = await makeTree(join(work, 'badname'), { 'usr/a/b/c/ok': 'ok', 'usr/z/file': 'z' });
    // A name that is not valid UTF-8, in a directory read only when the writer reaches it.
    writeFileSync(Buffer.concat([Buffer.from(join(src, 'usr/z') + '/'), Buffer.from([0x62, 0x61, 0x64, 0xff])]), 'x');
    const out = join(work, 'badname-out');
    await mkdir(out, { recursive: true });
    const r = await runBakery(['pack', src, join(out, 'x.img')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bakery: .*not valid UTF-8.*usr\/z/);
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses bad flags before writing anything', async () => {
    const r = await runBakery(['pack', work, join(work, 'x.img'), '--block-size', '3K']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bakery: --block-size takes a power of two from 4K to 1M, not "3K"\n');
    const l = await runBakery(['pack', work, join(work, 'x.img'), '--level', '12']);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/gzip levels are 1..9/);
  });
});

describe('bakery inspect and verify', () => {
  let image: string;
  beforeAll(async () => {
    const src = await makeTree(join(work, 'insp'), { 'usr/bin/x': { mode: 0o755, content: 'x\n' }, 'usr/share/y': 'y'.repeat(5000) });
    const r = await runBakery(['create', src, '--name', 'insp', '--arch', 'x86-64', '--output-dir', join(work, 'insp-out')]);
    expect(r.code).toBe(0);
    image = join(work, 'insp-out', 'insp-x86-64.raw');
  });

  it('inspect prints the superblock, every entry and the checked extension-release', async () => {
    const r = await runBakery(['inspect', image]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Compression gzip');
    expect(r.stdout).toMatch(/-rwxr-xr-x 0\/0 +2 1970-01-01 00:00 \/usr\/bin\/x\n/);
    expect(r.stdout).toContain('sysext: insp\n');
    expect(r.stdout).toContain('    ARCHITECTURE=x86-64\n');
    expect(r.stdout).toContain('extension-release: OK');
    const j = await runBakery(['inspect', image, '--json']);
    const parsed = JSON.parse(j.stdout) as { image: { entries: { path: string }[] }; sysext: { name: string; errors: string[] } };
    expect(parsed.sysext.name).toBe('insp');
    expect(parsed.sysext.errors).toEqual([]);
    expect(parsed.image.entries.map((e) => e.path)).toContain('usr/lib/extension-release.d/extension-release.insp');
  });

  it('verify passes a good image and fails a damaged one with a precise message', async () => {
    const ok = await runBakery(['verify', image, '--sysext', '--name', 'insp']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const wrong = await runBakery(['verify', image, '--sysext', '--name', 'other']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/names "insp", expected "other"/);
    const bytes = await readFile(image);
    const damaged = join(work, 'damaged.raw');
    const copy = Buffer.from(bytes);
    for (let i = 200; i < 260; i++) copy[i] = copy[i]! ^ 0xff;
    await writeFile(damaged, copy);
    const bad = await runBakery(['verify', damaged]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bakery: .*damaged\.raw: .+ at offset \d+/);
    const missing = await runBakery(['verify', join(work, 'nope.raw')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^bakery: .*nope\.raw/);
  });
});

describe('bakery list', () => {
  it('lists recipes', async () => {
    const r = await runBakery(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kubernetes +kubelet, kubeadm, kubectl/);
  });

  it('lists versions from a mirror (all, and --latest true)', async () => {
    await writeMirror(join(work, 'listmirror'), { k8sVersions: ['v1.97.0', 'v1.97.1', 'v1.98.0', 'v1.98.1', 'v1.98.2'], cniVersion: 'v9.9.0', arches: ['amd64'] });
    const server = await serveDirectory(join(work, 'listmirror'));
    try {
      const all = await runBakery(['list', 'kubernetes', '--k8s-base-url', `${server.url}/k8s`]);
      expect(all.stderr).toBe('');
      expect(all.stdout).toBe('v1.98.2\nv1.98.1\nv1.98.0\nv1.97.1\nv1.97.0\n');
      const latest = await runBakery(['list', 'kubernetes', '--latest', 'true', '--k8s-base-url', `${server.url}/k8s`]);
      expect(latest.stdout).toBe('v1.98.2\nv1.97.1\n');
    } finally {
      await server.close();
    }
  });
});

describe('interruption', () => {
  it('SIGINT during a build removes the temp file and exits 130', async () => {
    const dir = join(work, 'sig');
    await mkdir(join(dir, 'src'), { recursive: true });
    await writeFile(join(dir, 'src', 'big'), '');
    await truncate(join(dir, 'src', 'big'), 4 * 1024 ** 3); // sparse: slow to read, costs no disk
    const child = spawn(process.execPath, [CLI, 'pack', join(dir, 'src'), join(dir, 'out.img')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let sawTemp = false;
    for (let i = 0; i < 600 && !sawTemp; i++) {
      sawTemp = (await readdir(dir)).some((n) => n.startsWith('.out.img.tmp'));
      if (!sawTemp) await new Promise((r) => setTimeout(r, 25));
    }
    expect(sawTemp).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect((await readdir(dir)).sort()).toEqual(['src']);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
