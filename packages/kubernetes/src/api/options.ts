import { defaultCacheDir } from '../cache/paths.js';
import { HttpClient, type HttpOptions } from '../http/client.js';
import { resolveBases, type BaseOptions, type Bases } from '../core/urls.js';

/** Options of every call that may touch the network or the cache. */
export interface CommonOptions extends HttpOptions, BaseOptions {
  /** Cache directory (default: see {@link defaultCacheDir}). */
  cacheDir?: string | undefined;
  /** Use only the cache; never touch the network. */
  offline?: boolean | undefined;
}

/** Build the client and bases for one call, and close the client afterwards. */
export async function withContext<T>(opts: CommonOptions, fn: (ctx: { client: HttpClient; bases: Bases; cacheDir: string }) => Promise<T>): Promise<T> {
  const bases = resolveBases(opts);
  const client = new HttpClient(opts);
  client.setGithubApi(bases.githubApi);
  try {
    return await fn({ client, bases, cacheDir: opts.cacheDir ?? defaultCacheDir(opts.env ?? process.env) });
  } finally {
    await client.close();
  }
}
