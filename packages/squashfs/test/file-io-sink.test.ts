/**
 * createFileSink: temp file + atomic rename, abort leaves an existing target untouched, errors
 * surface as SquashfsError IO, interrupted CLIs remove their temp files (child processes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquashfsError } from '@sysext-bakery/squashfs';
import { createFileSink, liveTempFilePaths, removeTempFilesOnSignal, sha256Hasher } from '@sysext-bakery/squashfs/node';
import { transpileForChild, type ChildModules } from './file-io-transpile.js';

const work = mkdtempSync(join(tmpdir(), 'file-io-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function freshDir(): string {
  const dir = join(work, `d${n++}`);
  spawnSync('mkdir', ['-p', dir]);
  return dir;
}

function bytes(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('createFileSink', () => {
  it('writes to a hidden temp file in the same directory and renames it over the target on close()', async () => {
    const dir = freshDir();
    const target = join(dir, 'image.raw');
    const sink = await createFileSink(target);
    expect(sink.tempPath.startsWith(join(dir, '.image.raw.tmp-'))).toBe(true);
    expect(liveTempFilePaths()).toContain(sink.tempPath);
    await sink.write(bytes(100, 1), 0);
    await sink.write(bytes(50, 2), 100); // sequential: coalesced
    await sink.write(bytes(10, 3), 20); // rewrite inside earlier data
    await sink.write(bytes(2 << 20, 4), 150); // larger than the write buffer
    expect(existsSync(target)).toBe(false);
    expect(await sink.read(20, 10)).toEqual(bytes(10, 3));
    expect(await sink.read(100, 50)).toEqual(bytes(50, 2));
    const end = 150 + (2 << 20);
    await sink.truncate(end + 4000);
    await sink.close();
    expect(existsSync(sink.tempPath)).toBe(false);
    expect(liveTempFilePaths()).not.toContain(sink.tempPath);
    const file = new Uint8Array(readFileSync(target));
    expect(file.length).toBe(end + 4000);
    const expected = new Uint8Array(end + 4000);
    expected.set(bytes(100, 1), 0);
    expected.set(bytes(50, 2), 100);
    expected.set(bytes(10, 3), 20);
    expected.set(bytes(2 << 20, 4), 150);
    expect(Buffer.compare(file, expected)).toBe(0);
    expect(readdirSync(dir)).toEqual(['image.raw']);
  });

  it('replaces an existing target only at close(), with fsync on request', async () => {
    const dir = freshDir();
    const target = join(dir, 'x.raw');
    writeFileSync(target, 'old image');
    const sink = await createFileSink(target, { fsync: true, bufferSize: 0 });
    await sink.write(new TextEncoder().encode('new image!'), 0);
    expect(readFileSync(target, 'utf8')).toBe('old image');
    await sink.close();
    expect(readFileSync(target, 'utf8')).toBe('new image!');
  });

  it('abort() removes the temp file and leaves an existing target untouched', async () => {
    const dir = freshDir();
    const target = join(dir, 'keep.raw');
    writeFileSync(target, 'precious');
    const before = statSync(target).mtimeMs;
    const sink = await createFileSink(target);
    await sink.write(bytes(5000, 1), 0);
    await sink.abort(new Error('stop'));
    expect(existsSync(sink.tempPath)).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(statSync(target).mtimeMs).toBe(before);
    expect(readdirSync(dir)).toEqual(['keep.raw']);
    // Once aborted, the sink refuses more work; a second abort is harmless.
    await expect(sink.write(bytes(1, 1), 0)).rejects.toMatchObject({ code: 'IO' });
    await expect(sink.close()).rejects.toBeInstanceOf(SquashfsError);
    await sink.abort();
  });

  it('fails with IO naming the path when the directory does not exist', async () => {
    const target = join(work, 'missing-dir', 'img.raw');
    const error = await createFileSink(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SquashfsError);
    expect(error).toMatchObject({ code: 'IO', path: target });
  });

  it('surfaces a failed write as IO (file size limit) and abort() still cleans up', async () => {
    // A write past RLIMIT_FSIZE fails with EFBIG (Node ignores SIGXFSZ): run the sink in a child
    // process under `prlimit --fsize`.
    const child = await transpileForChild(['node/file-io.ts']);
    try {
      const dir = freshDir();
      const script = join(child.dir, 'fsize.mjs');
      writeFileSync(
        script,
        `import { createFileSink } from ${JSON.stringify(child.path('node/file-io.ts'))};
        import { existsSync } from 'node:fs';
        const sink = await createFileSink(${JSON.stringify(join(dir, 'big.raw'))});
        const results = [];
        try {
          await sink.write(new Uint8Array(300000).fill(1), 0);
          await sink.close();
          results.push('no error');
        } catch (error) {
          results.push(error.name + ' ' + error.code + ' ' + (error.cause && error.cause.code));
          await sink.abort(error);
        }
        results.push(existsSync(sink.tempPath) ? 'temp left' : 'temp removed');
        console.log(results.join('|'));`,
      );
      const result = spawnSync('prlimit', ['--fsize=65536', process.execPath, script], { encoding: 'utf8' });
      if (result.error) throw result.error;
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('SquashfsError IO EFBIG|temp removed');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await child.dispose();
    }
  });

  it('fails close() with IO when the target is a directory, and removes the temp file', async () => {
    const dir = freshDir();
    const target = join(dir, 'taken');
    spawnSync('mkdir', [join(target, 'sub'), '-p']);
    const sink = await createFileSink(target);
    await sink.write(bytes(10, 1), 0);
    await expect(sink.close()).rejects.toMatchObject({ code: 'IO', path: target });
    expect(existsSync(sink.tempPath)).toBe(false);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(target)).toEqual(['sub']);
  });

  it('gives the SHA-256 of the finished file at close() when asked (also when the rename replaces a file), and only then', async () => {
    const dir = freshDir();
    const target = join(dir, 'image.raw');
    writeFileSync(target, 'an older image');
    const data = bytes((5 << 20) + 123, 9); // several read pieces
    const sink = await createFileSink(target, { sha256: true });
    await sink.write(data.subarray(0, 1000), 0);
    await sink.write(data.subarray(1000), 1000);
    await sink.write(bytes(96, 7), 0); // a superblock written last, at the start
    expect(sink.sha256).toBeUndefined();
    await sink.close();
    const onDisk = readFileSync(target);
    expect(onDisk.length).toBe(data.length);
    expect(sink.sha256).toBe(createHash('sha256').update(onDisk).digest('hex'));
    expect(readdirSync(dir)).toEqual(['image.raw']);
    const plain = await createFileSink(join(dir, 'other.raw'));
    await plain.write(bytes(10, 1), 0);
    await plain.close();
    expect(plain.sha256).toBeUndefined();
    // A failed rename is reported as before, with the hashing's handle closed and the temp file gone.
    spawnSync('mkdir', ['-p', join(dir, 'taken', 'sub')]);
    const failing = await createFileSink(join(dir, 'taken'), { sha256: true });
    await failing.write(bytes(10, 1), 0);
    await expect(failing.close()).rejects.toMatchObject({ code: 'IO' });
    expect(existsSync(failing.tempPath)).toBe(false);
  });

  it('with deferRename, close() leaves the finished file as the temp file: commit() renames it, abort() removes it', async () => {
    const dir = freshDir();
    const target = join(dir, 'image.raw');
    writeFileSync(target, 'an older image');
    const data = bytes((3 << 20) + 5, 4);
    const sink = await createFileSink(target, { sha256: true, deferRename: true });
    await sink.write(data, 0);
    await sink.close();
    // Complete and closed, readable at its temp path; the target is as it was.
    expect(readFileSync(sink.tempPath).equals(Buffer.from(data))).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('an older image');
    expect(liveTempFilePaths()).toContain(sink.tempPath);
    expect(sink.sha256).toBeUndefined();
    await sink.commit();
    expect(readFileSync(target).equals(Buffer.from(data))).toBe(true);
    expect(sink.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(readdirSync(dir)).toEqual(['image.raw']);
    expect(liveTempFilePaths()).not.toContain(sink.tempPath);
    await expect(sink.commit()).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/committed/) });
    await sink.abort(); // after a commit: nothing to do, the image stays
    expect(readFileSync(target).length).toBe(data.length);

    // Abort after close: the temp file goes, the target stays.
    const dropped = await createFileSink(target, { sha256: true, deferRename: true });
    await dropped.write(bytes(10, 1), 0);
    await dropped.close();
    await dropped.abort(new Error('check failed'));
    expect(readdirSync(dir)).toEqual(['image.raw']);
    expect(readFileSync(target).length).toBe(data.length);
    expect(liveTempFilePaths()).not.toContain(dropped.tempPath);
    await expect(dropped.commit()).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/aborted/) });

    // commit() before close(), or without deferRename: refused.
    const early = await createFileSink(join(dir, 'early.raw'), { deferRename: true });
    await expect(early.commit()).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/open/) });
    await early.abort();
    const plain = await createFileSink(join(dir, 'plain.raw'));
    await plain.close();
    await expect(plain.commit()).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/not deferring/) });
    // A failed rename at commit(): IO, the temp file gone.
    spawnSync('mkdir', ['-p', join(dir, 'taken', 'sub')]);
    const failing = await createFileSink(join(dir, 'taken'), { sha256: true, deferRename: true });
    await failing.write(bytes(10, 1), 0);
    await failing.close();
    await expect(failing.commit()).rejects.toMatchObject({ code: 'IO' });
    expect(existsSync(failing.tempPath)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['image.raw', 'plain.raw', 'taken']);
  });

  it('rejects a negative write position', async () => {
    const sink = await createFileSink(join(freshDir(), 'neg.raw'));
    await expect(sink.write(bytes(1, 1), -1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await sink.abort();
  });
});

describe('removeTempFilesOnSignal', () => {
  let child: ChildModules;
  beforeAll(async () => {
    child = await transpileForChild(['node/file-io.ts']);
  });
  afterAll(() => child.dispose());

  async function interrupt(signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; dir: string; temp: string }> {
    const dir = freshDir();
    writeFileSync(join(dir, 'out.raw'), 'previous build');
    const script = join(child.dir, `sig-${signal}.mjs`);
    writeFileSync(
      script,
      `import { createFileSink, removeTempFilesOnSignal } from ${JSON.stringify(child.path('node/file-io.ts'))};
      removeTempFilesOnSignal();
      const sink = await createFileSink(${JSON.stringify(join(dir, 'out.raw'))});
      await sink.write(new Uint8Array(1 << 20).fill(7), 0);
      await sink.truncate(1 << 20);
      console.log(sink.tempPath);
      setInterval(() => {}, 1000);`,
    );
    const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const temp = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      proc.on('exit', () => reject(new Error('child exited before creating its sink')));
    });
    expect(existsSync(temp)).toBe(true);
    const code = await new Promise<number | null>((resolve) => {
      proc.on('exit', (c) => resolve(c));
      proc.kill(signal);
    });
    return { code, dir, temp };
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s removes the temp file, keeps the old image, exits %i', async (signal, exitCode) => {
    const { code, dir, temp } = await interrupt(signal);
    expect(code).toBe(exitCode);
    expect(existsSync(temp)).toBe(false);
    expect(readdirSync(dir)).toEqual([basename(join(dir, 'out.raw'))]);
    expect(readFileSync(join(dir, 'out.raw'), 'utf8')).toBe('previous build');
  });
});

describe('removeTempFilesOnSignal (in process)', () => {
  it('installs one set of handlers however often it is called, and uninstalls after the last caller', () => {
    const before = process.listenerCount('SIGINT');
    const a = removeTempFilesOnSignal();
    const b = removeTempFilesOnSignal();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    expect(process.listenerCount('SIGTERM')).toBeGreaterThan(0);
    a();
    a();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    b();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});

describe('sha256Hasher', () => {
  it('matches node:crypto over several updates', () => {
    const h = sha256Hasher();
    h.update(new TextEncoder().encode('hello '));
    h.update(new TextEncoder().encode('world'));
    const digest = h.digest();
    expect(digest).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(digest).toString('hex')).toBe(createHash('sha256').update('hello world').digest('hex'));
    expect(Buffer.from(sha256Hasher().digest()).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
