/**
 * A pool of compression worker threads: zstd or gzip in WASM (wasm-worker-source.ts), or node:zlib
 * zstd (zlib-worker-source.ts). Jobs go to the worker with the fewest jobs in flight; each result is
 * matched to its job by id, so every `compress()` promise resolves with its own block whatever order
 * the workers finish in. Workers start on first use (or with {@link WorkerPool.starting}), set
 * `workerData.ready[0]` (an Int32Array on shared memory) to 1 once their codec is loaded, are
 * unref'ed while idle (an idle pool never keeps the process alive) and are terminated by close().
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
  /** Set to 1 by the worker (shared memory) once it has loaded its codec. */
  ready: Int32Array;
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
  private readonly workerData: object | null;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private closed = false;
  /** Calls of {@link starting}; the workers start on the second one. */
  private startingCalls = 0;
  /** Input buffers the workers handed back (all of one capacity: the largest block seen). */
  private readonly spare: ArrayBuffer[] = [];
  private capacity = 0;

  /**
   * `name`: the codec, for messages. `source`: the worker's CommonJS source, answering
   * `{ id, level, block }` with `{ id, out }` or `{ id, error }` (and `{ id: -1, error }` when it
   * cannot start), started with `workerData` and `resourceLimits`.
   */
  constructor(name: string, size: number, source: string, workerData: object | null, resourceLimits?: ResourceLimits) {
    this.name = name;
    this.size = Math.max(1, Math.floor(size));
    this.source = source;
    this.workerData = workerData;
    this.resourceLimits = resourceLimits;
  }

  /**
   * True while no worker can take a job yet, for callers that can compress on their own thread
   * meanwhile instead of waiting: on the first call (nothing is started for it: an image of one
   * block needs no worker), then until a started worker has loaded its codec (a Node isolate, then
   * the codec: 50-100 ms, in which the caller compresses 10-20 blocks). The second call starts all
   * the workers. False once the pool is closed, or when every started worker died before it was
   * ready (jobs then go through {@link compress}, which starts new ones and reports their errors).
   */
  starting(): boolean {
    if (this.closed) return false;
    const call = this.startingCalls++;
    if (call === 0) return true;
    if (call === 1) while (this.workers.length < this.size) this.spawn();
    // Shared memory, not a message: this thread may compress many blocks before it next turns
    // to its event loop (the sink's writes are what it waits for).
    return this.workers.length > 0 && !this.workers.some((w) => Atomics.load(w.ready, 0) === 1);
  }

  /** Workers running (started and not retired). */
  get started(): number {
    return this.workers.length;
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
    const ready = new Int32Array(new SharedArrayBuffer(4));
    const workerData = { ...(this.workerData ?? {}), ready };
    const worker = new Worker(this.source, { eval: true, workerData, ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}) });
    const slot: PoolWorker = { worker, jobs: new Map(), ready };
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
    // After the listeners: adding a 'message' listener refs the worker again (a worker started by
    // starting() and never given a job would then keep the process alive).
    worker.unref();
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
