/**
 * A pool of compression worker threads: zstd or gzip in WASM (wasm-worker-source.ts), or node:zlib
 * zstd (zlib-worker-source.ts). Jobs go to the worker with the fewest jobs in flight; each result is
 * matched to its job by id, so every `compress()` promise resolves with its own block whatever order
 * the workers finish in. Workers start on first use, are unref'ed while idle (an idle pool never
 * keeps the process alive) and are terminated by close().
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { SquashfsError } from '../errors.js';

interface Job {
  resolve(out: Uint8Array): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  jobs: Map<number, Job>;
}

interface WorkerReply {
  id: number;
  out?: Uint8Array;
  error?: string;
  /** The job's input buffer, handed back for reuse. */
  back?: Uint8Array;
}

/** Input buffers kept for reuse: enough for every block in flight. */
const SPARE_BUFFERS = 64;

export class WorkerPool {
  private readonly name: string;
  private readonly size: number;
  private readonly source: string;
  private readonly workerData: unknown;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private closed = false;
  /** Input buffers the workers handed back (all of one capacity: the largest block seen). */
  private readonly spare: ArrayBuffer[] = [];
  private capacity = 0;

  /**
   * `name`: the codec, for messages. `source`: the worker's CommonJS source, answering
   * `{ id, level, block }` with `{ id, out }` or `{ id, error }` (and `{ id: -1, error }` when it
   * cannot start), started with `workerData` and `resourceLimits`.
   */
  constructor(name: string, size: number, source: string, workerData: unknown, resourceLimits?: ResourceLimits) {
    this.name = name;
    this.size = Math.max(1, Math.floor(size));
    this.source = source;
    this.workerData = workerData;
    this.resourceLimits = resourceLimits;
  }

  compress(block: Uint8Array, level: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new SquashfsError('INVALID_ARGUMENT', `${this.name} codec used after close()`));
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      if (slot.jobs.size === 1) slot.worker.ref();
      // postMessage would clone the whole ArrayBuffer behind a view (e.g. a 128 KiB block of a
      // 100 MiB file buffer): copy exactly the block into a buffer of our own, recycled (the
      // worker hands it back with the result), and transfer it without a second copy.
      const copy = this.buffer(block.length);
      copy.set(block);
      slot.worker.postMessage({ id, level, block: copy }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const slot of workers) this.fail(slot, new SquashfsError('ABORTED', `${this.name} codec closed while compressing`));
    await Promise.all(workers.map((slot) => slot.worker.terminate()));
  }

  /** A view of `length` bytes on a spare buffer, or on a new one. */
  private buffer(length: number): Uint8Array<ArrayBuffer> {
    if (length > this.capacity) {
      this.capacity = length;
      this.spare.length = 0;
    }
    return new Uint8Array(this.spare.pop() ?? new ArrayBuffer(this.capacity), 0, length);
  }

  private recycle(back: Uint8Array | undefined): void {
    if (back instanceof Uint8Array && back.buffer instanceof ArrayBuffer && back.buffer.byteLength === this.capacity && this.spare.length < SPARE_BUFFERS) {
      this.spare.push(back.buffer);
    }
  }

  private pick(): PoolWorker {
    if (this.workers.length < this.size && this.workers.every((w) => w.jobs.size > 0)) return this.spawn();
    let best = this.workers[0]!;
    for (const slot of this.workers) if (slot.jobs.size < best.jobs.size) best = slot;
    return best;
  }

  private spawn(): PoolWorker {
    const worker = new Worker(this.source, { eval: true, workerData: this.workerData, ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}) });
    worker.unref();
    const slot: PoolWorker = { worker, jobs: new Map() };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.id < 0) {
        this.retire(slot, new SquashfsError('IO', reply.error ?? 'compression worker failed'));
        return;
      }
      this.recycle(reply.back);
      const job = slot.jobs.get(reply.id);
      if (job === undefined) return;
      slot.jobs.delete(reply.id);
      if (slot.jobs.size === 0) worker.unref();
      if (reply.out !== undefined) job.resolve(reply.out);
      else job.reject(new SquashfsError('IO', `${this.name} compression failed: ${reply.error ?? 'unknown error'}`));
    });
    worker.on('error', (error) => this.retire(slot, new SquashfsError('IO', `${this.name} worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.retire(slot, new SquashfsError('IO', `${this.name} worker exited (code ${code})`)));
    this.workers.push(slot);
    return slot;
  }

  /** Drops a failed worker (a later job starts a fresh one) and fails its jobs. */
  private retire(slot: PoolWorker, error: Error): void {
    const index = this.workers.indexOf(slot);
    if (index >= 0) this.workers.splice(index, 1);
    this.fail(slot, error);
    slot.worker.unref();
    void slot.worker.terminate().catch(() => {});
  }

  private fail(slot: PoolWorker, error: Error): void {
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    for (const job of jobs) job.reject(error);
  }
}
