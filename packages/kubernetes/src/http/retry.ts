import { setTimeout as sleep } from 'node:timers/promises';

/** How failed requests are retried (network errors, timeouts, HTTP 408/429/5xx). */
export interface RetryOptions {
  /** Retries after the first attempt (default 4). A retry that made progress on a body does not count. */
  retries?: number | undefined;
  /** First back-off delay in ms (default 500); doubles on each retry, with jitter. */
  minDelayMs?: number | undefined;
  /** Largest back-off delay in ms (default 20 000). */
  maxDelayMs?: number | undefined;
  /** Longest `Retry-After` the client will wait, in ms (default 60 000); longer asks fail at once. */
  maxRetryAfterMs?: number | undefined;
}

export interface ResolvedRetry {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export function resolveRetry(r: RetryOptions | undefined): ResolvedRetry {
  return {
    retries: r?.retries ?? 4,
    minDelayMs: r?.minDelayMs ?? 500,
    maxDelayMs: r?.maxDelayMs ?? 20_000,
    maxRetryAfterMs: r?.maxRetryAfterMs ?? 60_000,
  };
}

/** Exponential back-off with "equal jitter": between half and all of the nominal delay. */
export function backoffDelay(r: ResolvedRetry, attempt: number): number {
  const nominal = Math.min(r.maxDelayMs, r.minDelayMs * 2 ** attempt);
  return Math.round(nominal / 2 + (Math.random() * nominal) / 2);
}

/** `Retry-After` as delta-seconds or an HTTP date; `undefined` when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export function wait(ms: number): Promise<void> {
  return ms > 0 ? sleep(ms) : Promise.resolve();
}

/** HTTP statuses worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

const NON_RETRYABLE_ERROR_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_ABORTED', 'ABORT_ERR', 'ERR_INVALID_URL', 'ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'EDQUOT']);

/** Network-level failures (reset, refused, timeouts, DNS) are retryable; argument errors are not. */
export function isRetryableError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; name?: unknown };
  if (e.name === 'AbortError') return false;
  if (typeof e.code === 'string' && NON_RETRYABLE_ERROR_CODES.has(e.code)) return false;
  return true;
}
