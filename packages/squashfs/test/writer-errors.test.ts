/** Failure safety: typed errors naming the path, abort() exactly once, no close() after a failure. */
import { describe, expect, it } from 'vitest';
import {
  MemorySink,
  SquashfsError,
  Tree,
  contentFromFactory,
  writeImage,
  type DirNode,
  type SquashfsWarning,
  type WriteOptions,
} from '@sysext-bakery/squashfs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, pattern, run, testZlibCodec } from './writer-helpers.js';

/** A MemorySink that fails like a full disk after `limit` bytes and records abort/close calls. */
class FailingSink extends MemorySink {
  written = 0;
  aborts: unknown[] = [];
  closes = 0;
  readonly limit: number;
  constructor(limit: number) {
    super();
    this.limit = limit;
  }
  override async write(data: Uint8Array, position: number): Promise<void> {
    if (this.written + data.length > this.limit) {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    this.written += data.length;
    await super.write(data, position);
  }
  override async abort(reason?: unknown): Promise<void> {
    this.aborts.push(reason);
    await super.abort();
  }
  override async close(): Promise<void> {
    this.closes++;
    await super.close();
  }
}

async function expectFailure(root: DirNode | Tree, options: WriteOptions, check: (e: SquashfsError, sink: FailingSink) => void, limit = Infinity): Promise<void> {
  const sink = new FailingSink(limit);
  let caught: unknown;
  try {
    await writeImage(root, sink, options);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SquashfsError);
  const err = caught as SquashfsError;
  expect(sink.aborts.length).toBe(1);
  expect(sink.aborts[0]).toBe(err);
  expect(sink.closes).toBe(0);
  check(err, sink);
}

function dataTree(): Tree {
  const t = new Tree();
  for (let i = 0; i < 20; i++) t.file(`d/f${i}`, pattern(50_000 + i, i));
  return t;
}

describe('writer failures', () => {
  it('a sink that fails mid-write (ENOSPC) gives IO with the cause; abort once, never close', async () => {
    for (const limit of [0, 100, 200_000]) {
      await expectFailure(dataTree(), { blockSize: 4096 }, (e) => {
        expect(e.code).toBe('IO');
        expect(e.message).toMatch(/ENOSPC|no space/);
        expect((e.cause as { code?: string }).code).toBe('ENOSPC');
      }, limit);
    }
  });

  it('a sink that fails while writing the superblock or truncating still aborts', async () => {
    const sink = new FailingSink(Infinity);
    sink.truncate = async () => {
      throw new Error('EIO truncate');
    };
    await expect(writeImage(dataTree(), sink)).rejects.toMatchObject({ code: 'IO' });
    expect(sink.aborts.length).toBe(1);
    expect(sink.closes).toBe(0);
  });

  it('a source yielding fewer or more bytes than declared: SIZE_MISMATCH naming the path', async () => {
    for (const [declared, actual] of [
      [10_000, 9_999],
      [10_000, 10_001],
      [0, 1],
      [300_000, 0],
    ] as const) {
      const t = new Tree();
      t.file('ok', 'fine');
      t.file('dir/liar', contentFromFactory(() => [new Uint8Array(actual)], declared));
      await expectFailure(t, {}, (e) => {
        expect(e.code).toBe('SIZE_MISMATCH');
        expect(e.path).toBe('/dir/liar');
        expect(e.message).toContain('/dir/liar');
      });
    }
  });

  it('a source that throws while read: IO naming the path, with the cause', async () => {
    const t = new Tree();
    t.file(
      'broken',
      contentFromFactory(async function* () {
        yield new Uint8Array(5000);
        throw Object.assign(new Error('read error'), { code: 'EIO' });
      }),
    );
    await expectFailure(t, {}, (e) => {
      expect(e.code).toBe('IO');
      expect(e.path).toBe('/broken');
      expect((e.cause as Error).message).toBe('read error');
    });
    // A source that cannot even open.
    const t2 = new Tree();
    t2.file('gone', {
      size: 3,
      open() {
        throw Object.assign(new Error('ENOENT: gone'), { code: 'ENOENT' });
      },
    });
    await expectFailure(t2, {}, (e) => {
      expect(e.code).toBe('IO');
      expect(e.path).toBe('/gone');
    });
  });

  it('an AbortSignal stops the write with ABORTED', async () => {
    const ctrl = new AbortController();
    const t = new Tree();
    t.file(
      'slow',
      contentFromFactory(async function* () {
        for (let i = 0; i < 100; i++) {
          if (i === 3) ctrl.abort(new Error('user cancelled'));
          yield new Uint8Array(4096).fill(i + 1);
        }
      }),
    );
    await expectFailure(t, { signal: ctrl.signal }, (e) => expect(e.code).toBe('ABORTED'));
    const pre = new AbortController();
    pre.abort();
    await expectFailure(new Tree(), { signal: pre.signal }, (e) => expect(e.code).toBe('ABORTED'));
  });

  it('more distinct ids than the u16 superblock count can hold are refused with TOO_MANY_IDS', async () => {
    // Node i owns uid 2i+1 and gid 2i+2; the root adds 0: 2n+1 distinct ids.
    const make = (ids: number): Tree => {
      const t = new Tree();
      for (let i = 0; 2 * i + 1 < ids; i++) t.fifo(`p/${i}`, { uid: 2 * i + 1, gid: 2 * i + 2 });
      return t;
    };
    await expectFailure(make(65537), {}, (e) => {
      expect(e.code).toBe('TOO_MANY_IDS');
      expect(e.path).toMatch(/^\/p\//);
    });
    const sink = new MemorySink();
    const r = await writeImage(make(65535), sink);
    expect(r.ids).toBe(65535);
    const img = sink.bytes();
    expect(new DataView(img.buffer).getUint16(26, true)).toBe(65535);
    const dir = makeTempDir('ids');
    try {
      writeFileSync(join(dir.dir, 'ids.sqfs'), img);
      const l = run('unsquashfs', ['-lln', join(dir.dir, 'ids.sqfs'), 'p/32766']);
      expect(l.status, l.stderr).toBe(0);
      expect(l.stdout).toMatch(/ 65533\/65534 /);
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('invalid options are refused up front with INVALID_ARGUMENT', async () => {
    const bad: WriteOptions[] = [
      { blockSize: 1000 },
      { blockSize: 2048 },
      { blockSize: 2 << 20 },
      { level: 0 },
      { level: 10 },
      { compression: 'zstd', level: 23 },
      { compression: 'lz4' as 'gzip' },
      { compression: 'none', level: 3 },
      { concurrency: 0 },
      { padding: -1 },
      { mkfsTime: -5 },
      { clampMtime: 2 ** 32 },
    ];
    for (const o of bad) {
      await expectFailure(dataTree(), o, (e) => expect(e.code, JSON.stringify(o)).toBe('INVALID_ARGUMENT'));
    }
  });

  it('bad nodes built by hand are refused with a typed error naming the path', async () => {
    const meta = { mode: 0o644, uid: 0, gid: 0, mtime: 0, xattrs: new Map() };
    const root = (entries: [string, unknown][]): DirNode => ({ kind: 'dir', meta, entries: new Map(entries) as DirNode['entries'] });
    await expectFailure(root([['a/b', { kind: 'fifo', meta }]]), {}, (e) => expect(e.code).toBe('INVALID_NAME'));
    await expectFailure(root([['l', { kind: 'symlink', meta, target: 'x'.repeat(4096) }]]), {}, (e) => {
      expect(e.code).toBe('SYMLINK_TOO_LONG');
      expect(e.path).toBe('/l');
    });
    await expectFailure(root([['m', { kind: 'fifo', meta: { ...meta, mode: 0o10000 } }]]), {}, (e) => expect(e.path).toBe('/m'));
    await expectFailure(root([['t', { kind: 'fifo', meta: { ...meta, mtime: 2 ** 32 } }]]), {}, (e) => expect(e.code).toBe('INVALID_ARGUMENT'));
    const shared: DirNode = root([]);
    await expectFailure(root([['x', shared], ['y', shared]]), {}, (e) => expect(e.path).toBe('/y'));
  });

  it('unsupported xattr prefixes are dropped with a warning naming the path', async () => {
    const t = new Tree();
    t.file('f', 'x', { xattrs: { 'user.ok': 'yes', 'system.posix_acl_access': 'acl', 'com.apple.provenance': 'p' } });
    const warnings: SquashfsWarning[] = [];
    const sink = new MemorySink();
    await writeImage(t, sink, { onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => [w.code, w.path])).toEqual([
      ['XATTR_DROPPED', '/f'],
      ['XATTR_DROPPED', '/f'],
    ]);
    expect(warnings[1]!.message).toContain('com.apple.provenance');
  });

  it('closes codecs it created but not codecs passed in', async () => {
    const codec = testZlibCodec();
    await writeImage(dataTree(), new MemorySink(), { compression: codec });
    expect(codec.closed).toBe(false);
    let closedByWriter = 0;
    const provider = {
      createCodec: () => ({ ...testZlibCodec(), close: async () => void closedByWriter++ }),
      decompressor: () => undefined,
    };
    await writeImage(dataTree(), new MemorySink(), { codecs: provider });
    expect(closedByWriter).toBe(1);
    await expectFailure(dataTree(), { codecs: provider }, (e) => expect(e.code).toBe('IO'), 1000);
    expect(closedByWriter).toBe(2);
  });
});
