import { KubernetesError } from '../core/errors.js';
import { redact } from '../core/urls.js';
import type { HttpClient } from '../http/client.js';
import type { RekorLogEntry } from './bundle.js';

/** The public Sigstore transparency log. */
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';

async function call(client: HttpClient, url: string, method: 'GET' | 'POST', body?: unknown): Promise<unknown> {
  const text = await client.withRetry(url, async () => {
    const res = await client.request(url, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'sysext-bakery' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.statusCode === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.statusCode !== 200) throw await client.statusFailure({ status: res.statusCode, headers: res.headers, body: res.body, url }, url);
    return res.body.text();
  });
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new KubernetesError('SIGNATURE', `the Rekor log at ${redact(url)} did not answer with JSON`, { url, cause: err });
  }
}

/** The `LogEntry` values of a `{ "<uuid>": LogEntry }` map (or of an array of such maps). */
function entriesOf(json: unknown): RekorLogEntry[] {
  const maps = Array.isArray(json) ? json : [json];
  const out: RekorLogEntry[] = [];
  for (const item of maps) {
    if (typeof item !== 'object' || item === null) continue;
    for (const value of Object.values(item as Record<string, unknown>)) {
      const e = value as Partial<RekorLogEntry> | null;
      if (typeof e?.body === 'string' && typeof e.integratedTime === 'number' && typeof e.logID === 'string' && typeof e.logIndex === 'number') out.push(e as RekorLogEntry);
    }
  }
  return out;
}

/** True when a logged body is the hashedrekord of this digest and signature. */
function sameRecord(entry: RekorLogEntry, sha256Hex: string, signatureB64: string): boolean {
  try {
    const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as { spec?: { data?: { hash?: { value?: unknown } }; signature?: { content?: unknown } } };
    const content = body.spec?.signature?.content;
    return body.spec?.data?.hash?.value === sha256Hex && typeof content === 'string' && Buffer.from(content, 'base64').equals(Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Find the Rekor entry of a `hashedrekord` (artifact digest + signature + certificate):
 * `POST <rekor>/api/v1/log/entries/retrieve` with the proposed entry; when that finds nothing,
 * the hash index (`POST /api/v1/index/retrieve`, then `GET /api/v1/log/entries/<uuid>`, at most
 * 16) for an entry with this digest and signature. Returns `undefined` when there is none. What
 * is returned is only a candidate: the verifier checks it against the trust root.
 */
export async function findRekorEntry(
  client: HttpClient,
  rekorUrl: string,
  sha256Hex: string,
  signatureB64: string,
  certPemB64: string,
): Promise<RekorLogEntry | undefined> {
  const root = rekorUrl.replace(/\/+$/, '');
  const proposed = {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    spec: {
      signature: { content: signatureB64, publicKey: { content: certPemB64 } },
      data: { hash: { algorithm: 'sha256', value: sha256Hex } },
    },
  };
  const direct = entriesOf(await call(client, `${root}/api/v1/log/entries/retrieve`, 'POST', { entries: [proposed] }));
  const hit = direct.find((e) => sameRecord(e, sha256Hex, signatureB64)) ?? direct[0];
  if (hit !== undefined) return hit;
  const uuids = await call(client, `${root}/api/v1/index/retrieve`, 'POST', { hash: `sha256:${sha256Hex}` });
  if (!Array.isArray(uuids)) return undefined;
  for (const uuid of uuids.slice(0, 16)) {
    if (typeof uuid !== 'string' || !/^[0-9a-f]{64,80}$/.test(uuid)) continue;
    const found = entriesOf(await call(client, `${root}/api/v1/log/entries/${uuid}`, 'GET')).find((e) => sameRecord(e, sha256Hex, signatureB64));
    if (found !== undefined) return found;
  }
  return undefined;
}
