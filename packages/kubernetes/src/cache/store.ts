import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubernetesError } from '../core/errors.js';
import type { Verification } from '../core/verification.js';

/** What the index remembers about one cached artifact. */
export interface CacheEntry {
  sha256: string;
  size: number;
  /** Where it was downloaded from. */
  url: string;
  /** The strongest check it passed when it was downloaded. */
  verification: Verification;
}

interface IndexFile {
  version: 1;
  entries: Record<string, CacheEntry>;
}

/**
 * Content-addressed artifact cache: `<dir>/artifacts/blobs/sha256/<hex>` holds verified bytes,
 * `<dir>/artifacts/index.json` maps `name/version/arch` keys to digests, and `partial/` keeps
 * unfinished downloads so that a later run resumes them.
 */
export class ArtifactCache {
  readonly root: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(cacheDir: string) {
    this.root = join(cacheDir, 'artifacts');
  }

  blobPath(sha256: string): string {
    return join(this.root, 'blobs', 'sha256', sha256);
  }

  partPath(key: string): string {
    return join(this.root, 'partial', `${key.replace(/[^A-Za-z0-9.+-]/g, '_')}.part`);
  }

  private get indexPath(): string {
    return join(this.root, 'index.json');
  }

  async ensureDirs(): Promise<void> {
    try {
      await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
      await mkdir(join(this.root, 'partial'), { recursive: true });
    } catch (err) {
      throw new KubernetesError('IO', `cannot create the cache in ${this.root}: ${(err as Error).message}`, { cause: err });
    }
  }

  async readIndex(): Promise<Record<string, CacheEntry>> {
    try {
      const parsed = JSON.parse(await readFile(this.indexPath, 'utf8')) as Partial<IndexFile>;
      return parsed.version === 1 && typeof parsed.entries === 'object' && parsed.entries !== null ? parsed.entries : {};
    } catch {
      return {};
    }
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const entries = await this.readIndex();
    return Object.hasOwn(entries, key) ? entries[key] : undefined;
  }

  /** True when a blob with this digest is present (its content is not re-hashed here). */
  async hasBlob(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(sha256))).isFile();
    } catch {
      return false;
    }
  }

  /** Move a verified file into the blob store and record it under `key`. */
  async put(key: string, entry: CacheEntry, verifiedFile: string): Promise<string> {
    const blob = this.blobPath(entry.sha256);
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await rename(verifiedFile, blob);
    await this.update((entries) => {
      entries[key] = entry;
    });
    return blob;
  }

  /** Record `key` for a blob that is already stored. */
  async link(key: string, entry: CacheEntry): Promise<void> {
    await this.update((entries) => {
      entries[key] = entry;
    });
  }

  /** Forget `key` and delete its blob (used when the cached copy is corrupt). */
  async evict(key: string, sha256: string): Promise<void> {
    await rm(this.blobPath(sha256), { force: true });
    await this.update((entries) => {
      delete entries[key];
    });
  }

  /** Index updates are serialised in this process and merged with the file on disk. */
  private update(change: (entries: Record<string, CacheEntry>) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const entries = await this.readIndex();
      change(entries);
      const sorted: Record<string, CacheEntry> = {};
      for (const k of Object.keys(entries).sort()) sorted[k] = entries[k] as CacheEntry;
      const tmp = `${this.indexPath}.${randomBytes(6).toString('hex')}.tmp`;
      await mkdir(this.root, { recursive: true });
      await writeFile(tmp, `${JSON.stringify({ version: 1, entries: sorted } satisfies IndexFile, null, 2)}\n`);
      await rename(tmp, this.indexPath);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
