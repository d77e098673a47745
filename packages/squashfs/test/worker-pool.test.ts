/**
 * The compression worker pool's failure paths: a worker whose module cannot load, a worker that
 * dies, a job that throws. Every job in flight must be rejected with a SquashfsError naming the
 * codec (never left pending), the other jobs must be unaffected, and a later job starts a new
 * worker.
 */
import { describe, expect, it, vi } from 'vitest';
import { SquashfsError } from '@sysext-bakery/squashfs';
import { WASM_WORKER_SOURCE } from '../src/node/wasm-worker-source.js';
import { CALLER_RUNS_DEPTH, WorkerPool, poolShape } from '../src/node/worker-pool.js';

/** A worker speaking the pool's protocol: `out` is the block reversed; some blocks misbehave. */
const TOY = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (msg) => {
  const first = msg.block[0];
  if (first === 1) throw new Error('thrown outside a job');
  if (first === 2) process.exit(3);
  if (first === 3) {
    parentPort.postMessage({ id: msg.id, error: 'bad block', back: msg.block }, [msg.block.buffer]);
    return;
  }
  if (msg.lengthOnly) {
    parentPort.postMessage({ id: msg.id, length: msg.block.length + msg.param, back: msg.block }, [msg.block.buffer]);
    return;
  }
  const out = new Uint8Array(msg.block).reverse();
  parentPort.postMessage({ id: msg.id, out, back: msg.block }, [out.buffer, msg.block.buffer]);
});
`;

const block = (first: number, length = 64): Uint8Array => new Uint8Array(length).map((_, i) => (i === 0 ? first : i & 0xff));

describe('WorkerPool', () => {
  it('answers each job with its own result, whatever order the workers finish in', async () => {
    const pool = new WorkerPool('toy', 2, TOY, null);
    try {
      const inputs = Array.from({ length: 40 }, (_, i) => block(10 + i, 100 + i));
      const outs = await Promise.all(inputs.map((b) => pool.run(b, 1)));
      outs.forEach((out, i) => expect([...out]).toEqual([...inputs[i]!].reverse()));
    } finally {
      await pool.close();
    }
  });

  it('rejects a job the worker reports as failed, with the codec name, and goes on', async () => {
    const pool = new WorkerPool('toy', 1, TOY, null);
    try {
      const bad = pool.run(block(3), 1);
      const good = pool.run(block(9), 1);
      await expect(bad).rejects.toThrow(/toy compression failed: bad block/);
      await expect(bad).rejects.toBeInstanceOf(SquashfsError);
      expect((await good)[63]).toBe(9);
    } finally {
      await pool.close();
    }
  });

  it.each([
    [1, /toy worker failed: thrown outside a job/],
    [2, /toy worker exited \(code 3\)/],
  ])('fails every job of a worker that dies (block %i), and starts a new worker for later jobs', async (kind, message) => {
    const pool = new WorkerPool('toy', 1, TOY, null);
    try {
      const jobs = [pool.run(block(20), 1), pool.run(block(kind), 1), pool.run(block(21), 1)];
      const settled = await Promise.allSettled(jobs);
      const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(rejected.length).toBeGreaterThanOrEqual(1);
      for (const r of rejected) {
        expect(r.reason).toBeInstanceOf(SquashfsError);
        expect(String(r.reason.message)).toMatch(message);
      }
      // The dead worker was replaced.
      expect((await pool.run(block(22), 1))[63]).toBe(22);
    } finally {
      await pool.close();
    }
  });

  it('rejects the jobs of a WASM worker whose module cannot be loaded, naming the module', async () => {
    const pool = new WorkerPool('gzip', 1, WASM_WORKER_SOURCE, { kind: 'gzip', moduleUrl: 'file:///nonexistent/libdeflate/index.js' });
    try {
      const jobs = [pool.run(block(5), 7), pool.run(block(6), 7)];
      for (const job of jobs) await expect(job).rejects.toThrow(/cannot load the gzip WASM module/);
    } finally {
      await pool.close();
    }
  });

  it('starting(): the caller compresses the first block, and the next ones until a started worker has loaded its codec', async () => {
    // Says it is ready when its first job comes (like a codec loaded late), then answers as TOY.
    const gated = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.on('message', (msg) => {
  Atomics.store(workerData.ready, 0, 1);
  const out = new Uint8Array(msg.block).reverse();
  parentPort.postMessage({ id: msg.id, out, back: msg.block }, [out.buffer, msg.block.buffer]);
});
`;
    const pool = new WorkerPool('toy', 2, gated, { unused: true });
    try {
      expect(pool.starting()).toBe(true);
      expect(pool.started).toBe(0); // an image of one block starts no worker
      expect(pool.starting()).toBe(true);
      expect(pool.started).toBe(2); // the second block starts them all
      expect(pool.starting()).toBe(true); // none has loaded its codec yet
      expect((await pool.run(block(7), 1))[63]).toBe(7);
      expect(pool.starting()).toBe(false);
      expect(pool.started).toBe(2);
    } finally {
      await pool.close();
    }
    expect(pool.starting()).toBe(false);
  });

  it('starting() is false once every started worker died before it was ready (jobs then report the failure)', async () => {
    const dying = `process.exit(4);`;
    const pool = new WorkerPool('toy', 2, dying, null);
    try {
      pool.starting();
      expect(pool.starting()).toBe(true);
      await vi.waitFor(() => expect(pool.started).toBe(0));
      expect(pool.starting()).toBe(false);
      await expect(pool.run(block(8), 1)).rejects.toThrow(/toy worker exited \(code 4\)/);
    } finally {
      await pool.close();
    }
  });

  it('idleExitMs: an idle worker exits, a later job starts a new one; a busy one stays', async () => {
    const pool = new WorkerPool('toy', 2, TOY, null, { idleExitMs: 50 });
    try {
      const outs = await Promise.all([block(20), block(21), block(22)].map((b) => pool.run(b, 1)));
      expect(outs.map((o) => o[63])).toEqual([20, 21, 22]);
      expect(pool.started).toBe(2);
      await vi.waitFor(() => expect(pool.started).toBe(0), { timeout: 5000 });
      expect((await pool.run(block(23), 1))[63]).toBe(23);
      expect(pool.started).toBe(1);
      // A job given to a worker cancels its exit: jobs 20 ms apart keep it alive.
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect((await pool.run(block(24 + i), 1))[63]).toBe(24 + i);
      }
      expect(pool.started).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('start(): every worker starts at once; unused, they exit after idleExitMs; jobs use them; a no-op after close()', async () => {
    const pool = new WorkerPool('toy', 2, TOY, null, { idleExitMs: 100 });
    try {
      pool.start();
      expect(pool.started).toBe(2);
      pool.start(); // already running: no more
      expect(pool.started).toBe(2);
      await vi.waitFor(() => expect(pool.started).toBe(0), { timeout: 5000 });
      pool.start();
      const outs = await Promise.all([block(30), block(31), block(32)].map((b) => pool.run(b, 1)));
      expect(outs.map((o) => o[63])).toEqual([30, 31, 32]);
      expect(pool.started).toBe(2);
    } finally {
      await pool.close();
    }
    pool.start();
    expect(pool.started).toBe(0);
  });

  it('saturated(depth): every worker is ready and has `depth` jobs it has not answered, by its own count in shared memory', async () => {
    // Ready at once; holds every job until the test opens the gate, then answers and counts it.
    const held = `
const { parentPort, workerData } = require('node:worker_threads');
Atomics.store(workerData.ready, 0, 1);
parentPort.on('message', (msg) => {
  Atomics.wait(workerData.gate, 0, 0);
  parentPort.postMessage({ id: msg.id, out: msg.block, back: new Uint8Array(0) });
  Atomics.add(workerData.ready, 1, 1);
});
`;
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const pool = new WorkerPool('toy', 2, held, { gate });
    try {
      expect(pool.saturated(0)).toBe(false); // not started
      const jobs = Array.from({ length: 5 }, (_, i) => pool.run(block(50 + i), 1)); // 3 and 2 (fewest in flight first)
      expect(pool.started).toBe(2);
      await vi.waitFor(() => expect(pool.saturated(2)).toBe(true)); // once both are ready
      expect(pool.saturated(3)).toBe(false); // one has only 2
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      const outs = await Promise.all(jobs);
      expect(outs.map((o) => o[0])).toEqual([50, 51, 52, 53, 54]);
      await vi.waitFor(() => expect(pool.saturated(1)).toBe(false)); // all answered (and counted)
      expect(pool.saturated(0)).toBe(true);
    } finally {
      await pool.close();
    }
    expect(pool.saturated(0)).toBe(false); // closed
  });

  it('poolShape: N - 1 workers and the calling thread on N >= 2 cores; one worker it feeds on 1 core', () => {
    expect(poolShape(1)).toEqual({ workers: 1, callerRuns: false });
    expect(poolShape(2)).toEqual({ workers: 1, callerRuns: true });
    expect(poolShape(16)).toEqual({ workers: 15, callerRuns: true });
    expect(poolShape(16, false)).toEqual({ workers: 16, callerRuns: false }); // the caller must not compress
    expect(poolShape(1, false)).toEqual({ workers: 1, callerRuns: false });
    // The writer keeps 4 blocks per core in flight: the workers can reach the depth on any core count.
    for (const cores of [2, 3, 4, 8, 64]) expect(poolShape(cores).workers * CALLER_RUNS_DEPTH).toBeLessThan(4 * cores);
  });

  it('runForLength: only a length comes back, matched to its job like run()', async () => {
    const pool = new WorkerPool('toy', 2, TOY, null);
    try {
      const lengths = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.runForLength(block(10 + i, 50 + i), i)));
      expect(lengths).toEqual(Array.from({ length: 20 }, (_, i) => 50 + 2 * i));
      expect([...(await pool.run(block(40, 4), 0))]).toEqual([3, 2, 1, 40]);
      await expect(pool.runForLength(block(3), 0)).rejects.toThrow(/toy compression failed: bad block/);
    } finally {
      await pool.close();
    }
  });

  it('names the task in a failed job: "<name> decompression failed", with the code given for bad data; a dead worker is IO', async () => {
    const pool = new WorkerPool('toy', 1, TOY, null, { task: 'decompression', failure: 'CORRUPT_IMAGE' });
    try {
      await expect(pool.run(block(3), 1)).rejects.toMatchObject({ code: 'CORRUPT_IMAGE', message: expect.stringMatching(/toy decompression failed: bad block/) });
      await expect(pool.run(block(2), 1)).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/toy worker exited \(code 3\)/) });
      await expect(pool.runForLength(block(3), 1)).rejects.toMatchObject({ code: 'CORRUPT_IMAGE' });
    } finally {
      await pool.close();
    }
    const compression = new WorkerPool('toy', 1, TOY, null);
    try {
      await expect(compression.run(block(3), 1)).rejects.toMatchObject({ code: 'IO' }); // the default
    } finally {
      await compression.close();
    }
  });

  it('rejects jobs after close()', async () => {
    const pool = new WorkerPool('toy', 1, TOY, null);
    await pool.close();
    await expect(pool.run(block(9), 1)).rejects.toThrow(/toy codec used after close\(\)/);
  });
});
