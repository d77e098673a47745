import { request } from 'undici';
import { KubernetesError } from '../core/errors.js';
import { redact } from '../core/urls.js';
import type { HttpClient } from '../http/client.js';
import type { RekorLogEntry } from './bundle.js';

/** The public Sigstore transparency log. */
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';

/**
 * Find the Rekor entry of a `hashedrekord` (artifact digest + signature + certificate):
 * `POST <rekor>/api/v1/log/entries/retrieve` with the proposed entry; Rekor answers with the
 * stored entry (same canonical form) or nothing. Returns `undefined` when there is none.
 */
export async function findRekorEntry(
  client: HttpClient,
  rekorUrl: string,
  sha256Hex: string,
  signatureB64: string,
  certPemB64: string,
): Promise<RekorLogEntry | undefined> {
  const url = `${rekorUrl.replace(/\/+$/, '')}/api/v1/log/entries/retrieve`;
  const proposed = {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    spec: {
      signature: { content: signatureB64, publicKey: { content: certPemB64 } },
      data: { hash: { algorithm: 'sha256', value: sha256Hex } },
    },
  };
  const text = await client.withRetry(url, async () => {
    const res = await request(url, {
      dispatcher: client.dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'sysext-bakery' },
      body: JSON.stringify({ entries: [proposed] }),
      headersTimeout: client.headersTimeout,
      bodyTimeout: client.bodyTimeout,
    });
    if (res.statusCode === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.statusCode !== 200) throw await client.statusFailure({ status: res.statusCode, headers: res.headers, body: res.body, url }, url);
    return res.body.text();
  });
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KubernetesError('SIGNATURE', `the Rekor log at ${redact(url)} did not answer with JSON`, { url, cause: err });
  }
  // An array with one map per proposed entry: { "<uuid>": LogEntry }, possibly empty or null.
  const list = Array.isArray(json) ? json : [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    for (const value of Object.values(item as Record<string, unknown>)) {
      const e = value as Partial<RekorLogEntry>;
      if (typeof e.body === 'string' && typeof e.integratedTime === 'number' && typeof e.logID === 'string' && typeof e.logIndex === 'number') return e as RekorLogEntry;
    }
  }
  return undefined;
}
