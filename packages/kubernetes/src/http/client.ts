import type { Dispatcher } from 'undici';
import { KubernetesError } from '../core/errors.js';
import { redact } from '../core/urls.js';
import { isFileUrl, readLocalText } from './local.js';
import {
  backoffDelay,
  isRetryableError,
  isRetryableStatus,
  parseRetryAfter,
  resolveRetry,
  wait,
  type ResolvedRetry,
  type RetryOptions,
} from './retry.js';

/** Timeouts in milliseconds. */
export interface TimeoutOptions {
  /** TCP/TLS connect (default 10 000). Only applies to the dispatcher this package builds. */
  connectMs?: number | undefined;
  /** Until the response headers arrive (default 30 000). */
  headersMs?: number | undefined;
  /** Longest silence while a body is received (default 60 000). */
  bodyMs?: number | undefined;
}

/** Options shared by everything that talks to the network. */
export interface HttpOptions {
  /**
   * An undici 7 dispatcher to send requests through (e.g. a `ProxyAgent`). By default the package
   * builds an `EnvHttpProxyAgent`, which honours `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`
   * (lower-case names win), and closes it when done.
   */
  dispatcher?: Dispatcher | undefined;
  retry?: RetryOptions | undefined;
  timeouts?: TimeoutOptions | undefined;
  /** Most redirects followed for one request (default 10). */
  maxRedirections?: number | undefined;
  /** GitHub token for the REST API (default `$GITHUB_TOKEN`, then `$GH_TOKEN`). Only sent to the API origin. */
  githubToken?: string | undefined;
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface OpenResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL after redirects. */
  url: string;
}

/** Thrown inside attempts to ask for another try. */
class RetryableFailure extends Error {
  readonly retryAfterMs: number | undefined;
  readonly final: KubernetesError;
  constructor(final: KubernetesError, retryAfterMs?: number) {
    super(final.message);
    this.final = final;
    this.retryAfterMs = retryAfterMs;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function header(h: OpenResponse['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

type Undici = typeof import('undici');
let undici: Promise<Undici> | undefined;

/**
 * undici, loaded on the first request: a build from the cache or from `file:` mirrors never loads
 * it. Loading it is not only ~25 ms of start-up: its code enlarges V8's old generation enough that,
 * while an image is packed, V8 ran a full GC every ~100 ms (44 against 2 without it in `bakery
 * create` from a warm cache: ~0.7 cpu-s of marking and sweeping).
 */
function loadUndici(): Promise<Undici> {
  return (undici ??= import('undici'));
}

/** What one request sends (the dispatcher and the timeouts are the client's). */
export interface HttpRequestInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/**
 * The package's HTTP client: undici `request()` through one dispatcher, with redirects followed
 * by hand (limit, loop detection, credentials only for the GitHub API origin), retries with
 * back-off that honour `Retry-After`, and per-request timeouts. `file:` URLs read local mirrors.
 */
export class HttpClient {
  readonly retry: ResolvedRetry;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly maxRedirections: number;
  /** The dispatcher given in the options, or the one this client builds (on its first request). */
  private dispatcher: Dispatcher | Promise<Dispatcher> | undefined;
  private readonly buildDispatcher: (() => Promise<Dispatcher>) | undefined;
  private readonly githubToken: string | undefined;
  private githubApiPrefix: string | undefined;

  constructor(opts: HttpOptions = {}) {
    const env = opts.env ?? process.env;
    const connectMs = opts.timeouts?.connectMs ?? 10_000;
    this.headersTimeout = opts.timeouts?.headersMs ?? 30_000;
    this.bodyTimeout = opts.timeouts?.bodyMs ?? 60_000;
    this.retry = resolveRetry(opts.retry);
    this.maxRedirections = opts.maxRedirections ?? 10;
    const token = opts.githubToken ?? env.GITHUB_TOKEN ?? env.GH_TOKEN;
    this.githubToken = token !== undefined && token !== '' ? token : undefined;
    if (opts.dispatcher !== undefined) {
      this.dispatcher = opts.dispatcher;
    } else {
      // '' (not undefined) when unset: undici would otherwise fall back to process.env, and an
      // injected `env` must be the whole truth.
      const proxyEnv = (lower: string): string => env[lower] ?? env[lower.toUpperCase()] ?? '';
      const proxy = { httpProxy: proxyEnv('http_proxy'), httpsProxy: proxyEnv('https_proxy'), noProxy: proxyEnv('no_proxy') };
      this.buildDispatcher = async () => new (await loadUndici()).EnvHttpProxyAgent({ allowH2: false, connect: { timeout: connectMs }, ...proxy });
    }
  }

  /**
   * One request (no redirects followed) through the client's dispatcher, with its timeouts. The
   * caller must consume or dump the body.
   */
  async request(url: string, init: HttpRequestInit): Promise<Dispatcher.ResponseData> {
    const { request } = await loadUndici();
    this.dispatcher ??= this.buildDispatcher!();
    return request(url, { ...init, dispatcher: await this.dispatcher, headersTimeout: this.headersTimeout, bodyTimeout: this.bodyTimeout });
  }

  /** Send `Authorization` only to URLs under this root (the GitHub API). */
  setGithubApi(base: string): void {
    this.githubApiPrefix = `${base.replace(/\/+$/, '')}/`;
  }

  /** Close the dispatcher if this client built it. */
  async close(): Promise<void> {
    if (this.buildDispatcher === undefined || this.dispatcher === undefined) return;
    const built = await Promise.resolve(this.dispatcher).catch(() => undefined); // one that failed to build has nothing to close
    await built?.close();
  }

  /**
   * One GET with redirects followed. The caller must consume or dump `body`. Network errors are
   * thrown as they come (the caller's retry loop classifies them); redirect problems as
   * `REDIRECT_LOOP`.
   */
  async open(url: string, headers: Record<string, string> = {}): Promise<OpenResponse> {
    const seen = new Set<string>([url]);
    let current = url;
    for (let hop = 0; ; hop++) {
      const h: Record<string, string> = { 'user-agent': 'sysext-bakery', ...headers };
      if (this.githubToken !== undefined && this.githubApiPrefix !== undefined && current.startsWith(this.githubApiPrefix)) h.authorization = `Bearer ${this.githubToken}`;
      const res = await this.request(current, { method: 'GET', headers: h });
      const location = header(res.headers, 'location');
      if (!REDIRECTS.has(res.statusCode) || location === undefined) {
        return { status: res.statusCode, headers: res.headers, body: res.body, url: current };
      }
      await res.body.dump();
      const next = new URL(location, current).href;
      if (seen.has(next)) {
        throw new KubernetesError('REDIRECT_LOOP', `redirect loop: ${redact(current)} → ${redact(next)} was already visited (started at ${redact(url)})`, { url });
      }
      if (hop + 1 > this.maxRedirections) {
        throw new KubernetesError('REDIRECT_LOOP', `more than ${this.maxRedirections} redirects starting at ${redact(url)}`, { url });
      }
      if (!/^https?:$/.test(new URL(next).protocol)) {
        throw new KubernetesError('HTTP', `redirect from ${redact(current)} to unsupported URL ${redact(next)}`, { url });
      }
      seen.add(next);
      current = next;
    }
  }

  /**
   * Run `attempt` with retries. `attempt` signals a retryable failure by throwing what
   * {@link HttpClient.retryable} returns; network errors are retried; anything else is final.
   * `progress()` inside the attempt (returning true) resets the attempt counter.
   */
  async withRetry<T>(url: string, attempt: (ctx: { madeProgress: () => void }) => Promise<T>): Promise<T> {
    let failures = 0;
    for (;;) {
      let progressed = false;
      try {
        return await attempt({ madeProgress: () => (progressed = true) });
      } catch (err) {
        let final: KubernetesError;
        let retryAfter: number | undefined;
        if (err instanceof RetryableFailure) {
          final = err.final;
          retryAfter = err.retryAfterMs;
        } else if (err instanceof KubernetesError) {
          throw err;
        } else if (isRetryableError(err)) {
          const e = err as { code?: string; message?: string };
          final = new KubernetesError('NETWORK', `network error on ${redact(url)}: ${e.code ?? ''} ${e.message ?? String(err)}`.replace(/\s+/g, ' ').trim(), { url, cause: err });
        } else {
          throw new KubernetesError('NETWORK', `request to ${redact(url)} failed: ${(err as Error).message}`, { url, cause: err });
        }
        if (progressed) failures = 0;
        else failures++;
        if (failures > this.retry.retries) {
          throw new KubernetesError(final.code, `${final.message} (gave up after ${failures} attempts)`, {
            url,
            ...(final.status !== undefined ? { status: final.status } : {}),
            cause: final.cause ?? final,
          });
        }
        if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs) {
          throw new KubernetesError(final.code, `${final.message}; the server asks to retry after ${Math.ceil(retryAfter / 1000)} s, longer than the ${Math.ceil(this.retry.maxRetryAfterMs / 1000)} s allowed`, { url, ...(final.status !== undefined ? { status: final.status } : {}) });
        }
        await wait(retryAfter ?? backoffDelay(this.retry, failures - 1));
      }
    }
  }

  /** Build the error for an unexpected status; retryable ones are wrapped for `withRetry`. */
  async statusFailure(res: OpenResponse, requested: string): Promise<Error> {
    await res.body.dump();
    const s = res.status;
    const where = res.url === requested ? redact(requested) : `${redact(requested)} (redirected to ${redact(res.url)})`;
    if (s === 403 || s === 429) {
      const remaining = header(res.headers, 'x-ratelimit-remaining');
      if (remaining === '0') {
        const hint = this.githubToken === undefined ? '; set GITHUB_TOKEN (or GH_TOKEN) to raise the limit' : '';
        return new KubernetesError('HTTP', `HTTP ${s} rate limit exceeded for ${where}${hint}`, { url: requested, status: s });
      }
    }
    const err = new KubernetesError('HTTP', `HTTP ${s} for ${where}`, { url: requested, status: s });
    if (isRetryableStatus(s)) return new RetryableFailure(err, parseRetryAfter(res.headers['retry-after']));
    return err;
  }

  /** Wrap a retryable condition (e.g. a short body) for `withRetry`. */
  retryable(err: KubernetesError, retryAfterMs?: number): Error {
    return new RetryableFailure(err, retryAfterMs);
  }

  /** GET a small text resource (version markers, checksum files). 404 → `HTTP` with status 404. */
  async getText(url: string, maxBytes = 1 << 20): Promise<string> {
    if (isFileUrl(url)) return readLocalText(url, maxBytes);
    return this.withRetry(url, async () => {
      const res = await this.open(url);
      if (res.status !== 200) throw await this.statusFailure(res, url);
      const declared = Number(header(res.headers, 'content-length') ?? NaN);
      if (declared > maxBytes) {
        await res.body.dump();
        throw new KubernetesError('HTTP', `${redact(url)} is larger than ${maxBytes} bytes`, { url });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new KubernetesError('HTTP', `${redact(url)} is larger than ${maxBytes} bytes`, { url });
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    });
  }

  /** GET JSON, with the response headers (for pagination). */
  async getJson(url: string, maxBytes = 16 << 20): Promise<{ json: unknown; link: string | undefined }> {
    if (isFileUrl(url)) return { json: JSON.parse(await readLocalText(url, maxBytes)) as unknown, link: undefined };
    return this.withRetry(url, async () => {
      const res = await this.open(url, { accept: 'application/vnd.github+json' });
      if (res.status !== 200) throw await this.statusFailure(res, url);
      const text = await res.body.text();
      if (text.length > maxBytes) throw new KubernetesError('HTTP', `${redact(url)} is larger than ${maxBytes} bytes`, { url });
      try {
        return { json: JSON.parse(text) as unknown, link: header(res.headers, 'link') };
      } catch (err) {
        throw new KubernetesError('HTTP', `${redact(url)} did not return JSON`, { url, cause: err });
      }
    });
  }
}
