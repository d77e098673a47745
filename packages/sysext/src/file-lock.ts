/**
 * A lock around a read-modify-write of a shared file (SHA256SUMS), across processes: the lock is
 * a file created with O_EXCL next to the target, holding `<pid> <hostname>`. A lock whose process
 * is gone (same host, the pid no longer exists) or that is older than `staleMs` (another host,
 * or a pid reused) is taken over. Within one process, holders of the same lock also queue up.
 */
import { hostname } from 'node:os';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { SysextError } from './errors.js';

export interface FileLockOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** A lock file older than this is stale whoever holds it (default 10 min). */
  staleMs?: number;
}

/** In-process queue per lock path: concurrent holders in one process wait for each other here. */
const local = new Map<string, Promise<void>>();

/** Runs `fn` while holding the lock file `lockPath`; the lock is removed afterwards, whatever `fn` does. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const previous = local.get(lockPath) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chained = previous.then(() => mine);
  local.set(lockPath, chained);
  await previous;
  try {
    await acquire(lockPath, options.timeoutMs ?? 60_000, options.staleMs ?? 600_000);
    try {
      return await fn();
    } finally {
      await rm(lockPath, { force: true });
    }
  } finally {
    release();
    if (local.get(lockPath) === chained) local.delete(lockPath);
  }
}

async function acquire(lockPath: string, timeoutMs: number, staleMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const owner = `${process.pid} ${hostname()}\n`;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const handle = await open(lockPath, 'wx', 0o644);
      try {
        await handle.writeFile(owner);
      } finally {
        await handle.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SysextError('IO', `cannot create the lock file ${lockPath}: ${(err as Error).message}`, { cause: err });
      }
    }
    const stale = await staleLock(lockPath, staleMs);
    if (stale !== undefined) {
      // Checked again just before removing it, so that a lock taken meanwhile by another waiter
      // (who removed the stale one first) is left alone; a window of microseconds remains.
      if ((await lockState(lockPath)) === stale) await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const holder = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
      throw new SysextError('IO', `${lockPath} is held by another process (${holder || 'unknown'}) since more than ${Math.round(timeoutMs / 1000)} s; remove it if no bakery is running`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** The lock file's content and mtime, or undefined when it cannot be read. */
async function lockState(lockPath: string): Promise<string | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return `${st.mtimeMs} ${text}`;
  } catch {
    return undefined;
  }
}

/**
 * The state (see {@link lockState}) of a stale lock: its process is gone (same host) or it is
 * older than `staleMs`; undefined when the lock is live, gone or unreadable.
 */
async function staleLock(lockPath: string, staleMs: number): Promise<string | undefined> {
  const state = await lockState(lockPath);
  if (state === undefined) return undefined;
  const [mtimeText = '', pidText = '', host = ''] = state.trim().split(' ');
  if (Date.now() - Number(mtimeText) > staleMs) return state;
  const pid = Number(pidText);
  // Empty while its creator is still writing it; ours: another copy of this module holds it.
  if (host !== hostname() || !Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? state : undefined;
  }
}
