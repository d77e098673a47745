/**
 * A pool of worker threads that turn one block into another: compression (zstd or gzip in WASM,
 * wasm-worker-source.ts; node:zlib zstd, zlib-worker-source.ts) or decompression
 * (decompress-worker-source.ts). Jobs go to the worker with the fewest jobs in flight; each result
 * is matched to its job by id, so every `run()` promise resolves with its own block whatever order
 * the workers finish in. Workers start on first use (or with {@link WorkerPool.starting}), set
 * `workerData.ready[0]` (an Int32Array on shared memory) to 1 once their codec is loaded, add 1 to
 * `workerData.ready[1]` for every job they answer (see {@link WorkerPool.saturated}), are
 * unref'ed while idle (an idle pool never keeps the process alive), exit after `idleExitMs` without
 * a job when that is set (a later job starts them again) and are terminated by close().
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { SquashfsError, type SquashfsErrorCode } from '../errors.js';

/**
 * Blocks each worker must have unanswered before the calling thread compresses one itself: enough
 * that no worker runs dry while it does (a block takes as long on either thread), few enough that
 * the writer's window (4 blocks per core in flight) reaches it on any number of cores.
 */
export const CALLER_RUNS_DEPTH = 4;

/**
 * How many workers a pool codec starts on `cores` cores, and whether the calling thread compresses
 * too: on N >= 2 cores N - 1 workers and the calling thread the N-th; on 1 core, or where the
 * calling thread must not compress (`callerMay` false), one worker per core, fed by it.
 */
export function poolShape(cores: number, callerMay = true): { workers: number; callerRuns: boolean } {
  return cores >= 2 && callerMay ? { workers: cores - 1, callerRuns: true } : { workers: Math.max(1, cores), callerRuns: false };
}

interface Job {
  resolve(result: Uint8Array | number): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  jobs: Map<number, Job>;
  /**
   * Shared memory the worker writes: [0] is set to 1 once it has loaded its codec, [1] counts the
   * jobs it has answered.
   */
  ready: Int32Array;
  /** Jobs posted to it (with ready[1], how many it has not answered yet). */
  posted: number;
  /** Ends an idle worker after `idleExitMs`. */
  idleTimer?: ReturnType<typeof setTimeout>;
}

export interface WorkerPoolOptions {
  resourceLimits?: ResourceLimits;
  /** What a job does, for error messages: "<name> <task> failed". Default 'compression'. */
  task?: string;
  /**
   * The code of a job the worker reports as failed (default 'IO'): 'CORRUPT_IMAGE' for
   * decompression, where a failed job means bad data. A worker that dies rejects its jobs with
   * 'IO' whatever this says: that is not the data's fault.
   */
  failure?: SquashfsErrorCode;
  /** An idle worker exits after this many ms (default: never; close() ends them). */
  idleExitMs?: number;
}

interface WorkerReply {
  id: number;
  out?: Uint8Array;
  /** The answer to a job posted with `lengthOnly`: how many bytes `out` would have had. */
  length?: number;
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
  private readonly task: string;
  private readonly failure: SquashfsErrorCode;
  private readonly idleExitMs: number | undefined;
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
   * `{ id, param, block }` with `{ id, out }` or `{ id, error }` (and `{ id: -1, error }` when it
   * cannot start), started with `workerData` and `options.resourceLimits`.
   */
  constructor(name: string, size: number, source: string, workerData: object | null, options: WorkerPoolOptions = {}) {
    this.name = name;
    this.size = Math.max(1, Math.floor(size));
    this.source = source;
    this.workerData = workerData;
    this.resourceLimits = options.resourceLimits;
    this.task = options.task ?? 'compression';
    this.failure = options.failure ?? 'IO';
    this.idleExitMs = options.idleExitMs;
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

  /**
   * Starts every worker now (a no-op once they run or after close()): for a caller that will give
   * them jobs soon and has other work meanwhile. Left without a job, they exit after `idleExitMs`
   * (when set) and never keep the process alive.
   */
  start(): void {
    if (this.closed) return;
    while (this.workers.length < this.size) this.idle(this.spawn());
  }

  /**
   * True when every worker of the pool runs its codec and has at least `depth` jobs it has not
   * answered yet, counted from the workers' own tally in shared memory: right even while this
   * thread, busy, has not read their answers. A caller that can compress on its own thread may then
   * take the next block itself without leaving any worker short of work.
   */
  saturated(depth: number): boolean {
    if (this.closed || this.workers.length < this.size) return false;
    for (const w of this.workers) {
      if (Atomics.load(w.ready, 0) !== 1 || w.posted - Atomics.load(w.ready, 1) < depth) return false;
    }
    return true;
  }

  /** Workers running (started and not retired). */
  get started(): number {
    return this.workers.length;
  }

  /** One job: `block` and a number for the worker (a level, a size bound) in, a block out. */
  run(block: Uint8Array, param: number): Promise<Uint8Array> {
    return this.post(block, param, false) as Promise<Uint8Array>;
  }

  /**
   * A job whose result stays in the worker: only its length comes back (for workers that answer
   * `lengthOnly` jobs with `{ id, length }`).
   */
  runForLength(block: Uint8Array, param: number): Promise<number> {
    return this.post(block, param, true) as Promise<number>;
  }

  private post(block: Uint8Array, param: number, lengthOnly: boolean): Promise<Uint8Array | number> {
    if (this.closed) return Promise.reject(new SquashfsError('INVALID_ARGUMENT', `${this.name} codec used after close()`));
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<Uint8Array | number>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      if (slot.jobs.size === 1) {
        slot.worker.ref();
        clearTimeout(slot.idleTimer);
      }
      // postMessage would clone the whole ArrayBuffer behind a view (e.g. a 128 KiB block of a
      // 100 MiB file buffer): copy exactly the block into a buffer of our own, recycled (the
      // worker hands it back with the result), and transfer it without a second copy.
      const copy = this.buffer(block.length);
      copy.set(block);
      slot.posted++;
      slot.worker.postMessage(lengthOnly ? { id, param, block: copy, lengthOnly } : { id, param, block: copy }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const slot of workers) {
      clearTimeout(slot.idleTimer);
      this.fail(slot, new SquashfsError('ABORTED', `${this.name} codec closed while working`));
    }
    await Promise.all(workers.map((slot) => slot.worker.terminate()));
  }

  /**
   * A view of `length` bytes on a spare buffer, or on a new one. A block much smaller than the
   * largest (an 8 KiB metadata block among 128 KiB data blocks) gets a buffer of its own size,
   * not recycled: a table's blocks are posted all at once, and a spare each would be ~16x the memory.
   */
  private buffer(length: number): Uint8Array<ArrayBuffer> {
    if (length > this.capacity) {
      this.capacity = length;
      this.spare.length = 0;
    }
    if (length <= this.capacity >>> 2) return new Uint8Array(new ArrayBuffer(length));
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
    const ready = new Int32Array(new SharedArrayBuffer(8));
    const workerData = { ...(this.workerData ?? {}), ready };
    const worker = new Worker(this.source, { eval: true, workerData, ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}) });
    const slot: PoolWorker = { worker, jobs: new Map(), ready, posted: 0 };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.id < 0) {
        this.retire(slot, new SquashfsError('IO', reply.error ?? 'compression worker failed'));
        return;
      }
      this.recycle(reply.back);
      const job = slot.jobs.get(reply.id);
      if (job === undefined) return;
      slot.jobs.delete(reply.id);
      if (slot.jobs.size === 0) this.idle(slot);
      if (reply.out !== undefined) job.resolve(reply.out);
      else if (typeof reply.length === 'number') job.resolve(reply.length);
      else job.reject(new SquashfsError(this.failure, `${this.name} ${this.task} failed: ${reply.error ?? 'unknown error'}`));
    });
    worker.on('error', (error) => this.retire(slot, new SquashfsError('IO', `${this.name} worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.retire(slot, new SquashfsError('IO', `${this.name} worker exited (code ${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again (a worker started by
    // starting() and never given a job would then keep the process alive).
    worker.unref();
    this.workers.push(slot);
    return slot;
  }

  /** A worker without jobs: it may not keep the process alive, and exits after `idleExitMs`. */
  private idle(slot: PoolWorker): void {
    slot.worker.unref();
    if (this.idleExitMs === undefined) return;
    slot.idleTimer = setTimeout(() => {
      if (slot.jobs.size > 0) return;
      const index = this.workers.indexOf(slot);
      if (index >= 0) this.workers.splice(index, 1);
      void slot.worker.terminate().catch(() => {});
    }, this.idleExitMs);
    slot.idleTimer.unref();
  }

  /** Drops a failed worker (a later job starts a fresh one) and fails its jobs. */
  private retire(slot: PoolWorker, error: Error): void {
    clearTimeout(slot.idleTimer);
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
