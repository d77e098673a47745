import { X509Certificate } from 'node:crypto';
import { KubernetesError } from '../core/errors.js';
import { redact } from '../core/urls.js';
import type { HttpClient } from '../http/client.js';
import { buildBundle } from './bundle.js';
import { bundlePath, readCachedBundle, writeCachedBundle } from './cache.js';
import { findRekorEntry } from './rekor.js';
import type { TrustRoot } from './trust-root.js';
import { KUBERNETES_SIGNER, SignatureFailure, verifyBundle, type VerifiedSignature } from './verify.js';

export interface SignatureJob {
  artifact: string;
  version: string;
  arch: string;
  /** The binary's URL; `.sig` and `.cert` sit beside it. */
  url: string;
  /** The verified file in the cache, and its digest. */
  path: string;
  sha256: string;
}

export interface SignatureContext {
  client: HttpClient;
  artifactsRoot: string;
  rekorUrl: string;
  root: TrustRoot;
  offline: boolean;
}

/** `missing` when offline without a cached bundle; otherwise verified (or a `SIGNATURE` error). */
export type SignatureOutcome = { status: 'verified'; detail: VerifiedSignature } | { status: 'missing'; reason: string };

function failure(job: SignatureJob, reason: string, cause?: unknown): KubernetesError {
  return new KubernetesError('SIGNATURE', `signature verification failed for ${job.artifact} ${job.version} ${job.arch} (${redact(job.url)}): ${reason}`, {
    artifact: job.artifact,
    version: job.version,
    arch: job.arch,
    url: job.url,
    ...(cause !== undefined ? { cause } : {}),
  });
}

async function fetchSide(ctx: SignatureContext, job: SignatureJob, suffix: '.sig' | '.cert'): Promise<string> {
  const url = `${job.url}${suffix}`;
  try {
    return (await ctx.client.getText(url, 64 * 1024)).trim();
  } catch (err) {
    if (err instanceof KubernetesError && err.status === 404) throw failure(job, `no ${suffix === '.sig' ? 'signature' : 'certificate'} published at ${redact(url)} (HTTP 404)`, err);
    throw err;
  }
}

/**
 * Verify the cosign keyless signature of one Kubernetes binary. A bundle cached for this digest
 * is re-verified offline (no request); otherwise `.sig` + `.cert` are fetched, the Rekor entry
 * is looked up once, a bundle is built, verified and then cached.
 */
export async function checkSignature(ctx: SignatureContext, job: SignatureJob): Promise<SignatureOutcome> {
  const path = bundlePath(ctx.artifactsRoot, job.sha256);
  const cached = await readCachedBundle(path);
  if (cached !== undefined) {
    try {
      return { status: 'verified', detail: await verifyBundle(cached, job.path, job.sha256, ctx.root, KUBERNETES_SIGNER) };
    } catch (err) {
      if (err instanceof SignatureFailure) throw failure(job, `${err.message} (cached bundle ${path})`, err);
      throw err;
    }
  }
  if (ctx.offline) return { status: 'missing', reason: `signature bundle not in the cache (${path})` };

  const sigText = await fetchSide(ctx, job, '.sig');
  const certText = await fetchSide(ctx, job, '.cert');
  const signature = Buffer.from(sigText, 'base64');
  if (signature.length === 0) throw failure(job, `the signature file ${redact(`${job.url}.sig`)} is empty or not base64`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(certText, 'base64'));
  } catch (err) {
    throw failure(job, `the certificate file ${redact(`${job.url}.cert`)} is not a base64-encoded PEM certificate`, err);
  }
  const entry = await findRekorEntry(ctx.client, ctx.rekorUrl, job.sha256, signature.toString('base64'), Buffer.from(certText, 'base64').toString('base64'));
  if (entry === undefined) throw failure(job, `no Rekor entry for this file, signature and certificate in ${redact(ctx.rekorUrl)}: the signature was never logged, so its signing time is unproven`);
  let bundle;
  try {
    bundle = buildBundle(cert.raw, signature, job.sha256, entry);
  } catch (err) {
    throw failure(job, (err as Error).message, err);
  }
  let detail: VerifiedSignature;
  try {
    detail = await verifyBundle(bundle, job.path, job.sha256, ctx.root, KUBERNETES_SIGNER);
  } catch (err) {
    if (err instanceof SignatureFailure) throw failure(job, err.message, err);
    throw err;
  }
  await writeCachedBundle(path, bundle);
  return { status: 'verified', detail };
}
