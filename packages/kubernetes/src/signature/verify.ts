import { X509Certificate, createHash, createVerify, verify as verifySignature } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { BUNDLE_MEDIA_TYPE, type SigstoreBundle, type TlogEntry } from './bundle.js';
import { DerError, certificateExtensions, extendedKeyUsages, fulcioString, subjectAltNames } from './der.js';
import type { TrustRoot, TrustedCa, Window } from './trust-root.js';

/** Who must have signed: the exact SubjectAltName and the exact OIDC issuer of the certificate. */
export interface SignerPolicy {
  identity: string;
  issuer: string;
}

/** The Kubernetes release signer (krel, the release tool, running as this service account). */
export const KUBERNETES_SIGNER: SignerPolicy = {
  identity: 'krel-staging@k8s-releng-prod.iam.gserviceaccount.com',
  issuer: 'https://accounts.google.com',
};

const OID_SAN = '2.5.29.17';
const OID_EKU = '2.5.29.37';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** A verification failure; `message` is the reason, for the caller to wrap. */
export class SignatureFailure extends Error {}

export interface VerifiedSignature {
  /** Rekor's integrated time (seconds since the epoch): when the signature was logged. */
  integratedTime: number;
  logIndex: number;
  identity: string;
  issuer: string;
}

function fail(reason: string): never {
  throw new SignatureFailure(reason);
}

function b64(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(value)) fail(`the bundle's ${what} is not base64`);
  return Buffer.from(value, 'base64');
}

function inWindow(t: number, w: Window): boolean {
  return t >= w.start && t <= w.end;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Canonical JSON (RFC 8785) of the SET payload: its keys sorted, no spaces. */
function setPayload(e: TlogEntry, logIdHex: string): Buffer {
  return Buffer.from(JSON.stringify({ body: e.canonicalizedBody, integratedTime: Number(e.integratedTime), logID: logIdHex, logIndex: Number(e.logIndex) }));
}

function checkChain(leaf: X509Certificate, at: number, cas: readonly TrustedCa[]): TrustedCa {
  const reasons: string[] = [];
  for (const ca of cas) {
    if (!inWindow(at, ca.validFor)) {
      reasons.push(`${ca.uri || 'CA'} not valid at ${iso(at)}`);
      continue;
    }
    const path = [leaf, ...ca.chain];
    let ok = true;
    for (let i = 0; i + 1 < path.length && ok; i++) {
      const child = path[i] as X509Certificate;
      const parent = path[i + 1] as X509Certificate;
      if (!parent.ca || !child.checkIssued(parent) || !child.verify(parent.publicKey)) ok = false;
    }
    const root = ca.chain[ca.chain.length - 1] as X509Certificate;
    if (ok && !root.verify(root.publicKey)) ok = false;
    if (ok && ca.chain.some((c) => !inWindow(at, { start: Date.parse(c.validFrom), end: Date.parse(c.validTo) }))) {
      reasons.push(`${ca.uri || 'CA'} certificates not valid at ${iso(at)}`);
      continue;
    }
    if (ok) return ca;
    reasons.push(`not issued by ${ca.chain[0]?.subject.replace(/\n/g, ', ') ?? 'CA'}`);
  }
  return fail(`untrusted certificate chain: the signing certificate (issuer ${leaf.issuer.replace(/\n/g, ', ')}) does not chain to a trusted Fulcio CA (${reasons.join('; ')})`);
}

/** Stream the file once: its SHA-256 and whether `signature` (ECDSA/RSA over SHA-256) verifies with `cert`. */
async function streamCheck(path: string, cert: X509Certificate, signature: Buffer): Promise<{ sha256: string; valid: boolean }> {
  const hash = createHash('sha256');
  const verifier = createVerify('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    verifier.update(chunk as Buffer);
  }
  let valid: boolean;
  try {
    valid = verifier.verify(cert.publicKey, signature);
  } catch {
    valid = false;
  }
  return { sha256: hash.digest('hex'), valid };
}

/**
 * Verify a cosign keyless signature of the file at `path` from its bundle, offline:
 * 1. the Rekor SET signature (a trusted log's key, valid at the integrated time) over the
 *    canonical entry; the entry body is a `hashedrekord` of exactly this digest, signature and
 *    certificate;
 * 2. the certificate chains to a trusted Fulcio CA and was valid at the integrated time (the
 *    certificate lives ten minutes: the logged time proves the signature was made inside it),
 *    has the code-signing key usage, the exact SubjectAltName and the exact OIDC issuer;
 * 3. the signature over the file's bytes (streamed, hashed on the way) verifies with the
 *    certificate's key, and the file's SHA-256 is `sha256Hex`.
 * Throws {@link SignatureFailure} with the reason.
 */
export async function verifyBundle(bundle: SigstoreBundle, path: string, sha256Hex: string, root: TrustRoot, policy: SignerPolicy = KUBERNETES_SIGNER): Promise<VerifiedSignature> {
  if (bundle?.mediaType !== BUNDLE_MEDIA_TYPE) fail(`not a Sigstore bundle (media type ${String(bundle?.mediaType)})`);
  const certB64 = bundle.verificationMaterial?.x509CertificateChain?.certificates?.[0]?.rawBytes;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(b64(certB64, 'certificate'));
  } catch (err) {
    if (err instanceof SignatureFailure) throw err;
    return fail(`the signing certificate does not parse: ${(err as Error).message}`);
  }
  const signature = b64(bundle.messageSignature?.signature, 'signature');
  const digest = b64(bundle.messageSignature?.messageDigest?.digest, 'digest').toString('hex');
  if (digest !== sha256Hex) fail(`the bundle is for sha256:${digest}, not for this file (sha256:${sha256Hex})`);

  // 1. Transparency log.
  const entry = bundle.verificationMaterial.tlogEntries?.[0];
  if (entry === undefined) fail('no Rekor entry in the bundle');
  const logIdHex = b64(entry.logId?.keyId, 'log ID').toString('hex');
  const log = root.logs.find((l) => l.logId === logIdHex);
  if (log === undefined) fail(`the Rekor entry comes from an untrusted log (log ID ${logIdHex})`);
  const integratedTime = Number(entry.integratedTime);
  const logIndex = Number(entry.logIndex);
  if (!Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex)) fail('the Rekor entry has no integrated time or log index');
  const at = integratedTime * 1000;
  if (!inWindow(at, log.validFor)) fail(`the Rekor log key was not valid at the integrated time ${iso(at)}`);
  const set = b64(entry.inclusionPromise?.signedEntryTimestamp, 'signed entry timestamp');
  if (typeof entry.canonicalizedBody !== 'string') fail('the Rekor entry has no body');
  if (!verifySignature('sha256', setPayload(entry, logIdHex), log.key, set)) fail('bad Rekor signed entry timestamp (SET): the log did not sign this entry');
  let body: { kind?: unknown; apiVersion?: unknown; spec?: { data?: { hash?: { algorithm?: unknown; value?: unknown } }; signature?: { content?: unknown; publicKey?: { content?: unknown } } } };
  try {
    body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8')) as typeof body;
  } catch {
    return fail('the Rekor entry body is not JSON');
  }
  if (body.kind !== 'hashedrekord' || body.apiVersion !== '0.0.1') fail(`the Rekor entry is a ${String(body.kind)} ${String(body.apiVersion)}, not a hashedrekord 0.0.1`);
  const logged = body.spec?.data?.hash;
  if (logged?.algorithm !== 'sha256' || logged.value !== sha256Hex) fail(`the Rekor entry is for ${String(logged?.algorithm)}:${String(logged?.value)}, not for this file (sha256:${sha256Hex})`);
  if (!b64(body.spec?.signature?.content, 'logged signature').equals(signature)) fail('the Rekor entry logs a different signature');
  let loggedCert: X509Certificate;
  try {
    loggedCert = new X509Certificate(b64(body.spec?.signature?.publicKey?.content, 'logged certificate'));
  } catch (err) {
    if (err instanceof SignatureFailure) throw err;
    return fail('the Rekor entry logs a certificate that does not parse');
  }
  if (!loggedCert.raw.equals(leaf.raw)) fail('the Rekor entry logs a different certificate');

  // 2. Certificate.
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (!(at >= from && at <= to)) fail(`the signing certificate was not valid at the integrated time ${iso(at)} (valid ${iso(from)} to ${iso(to)})`);
  checkChain(leaf, at, root.cas);
  let sans: string[];
  let ekus: string[];
  let issuer: string | undefined;
  try {
    const exts = certificateExtensions(leaf.raw);
    const san = exts.get(OID_SAN);
    sans = san === undefined ? [] : subjectAltNames(san);
    const eku = exts.get(OID_EKU);
    ekus = eku === undefined ? [] : extendedKeyUsages(eku);
    const v2 = exts.get(OID_ISSUER_V2);
    const v1 = exts.get(OID_ISSUER_V1);
    issuer = v2 !== undefined ? fulcioString(v2) : v1 !== undefined ? fulcioString(v1) : undefined;
  } catch (err) {
    if (err instanceof DerError) return fail(`the signing certificate's extensions do not parse: ${err.message}`);
    throw err;
  }
  if (!ekus.includes(EKU_CODE_SIGNING)) fail('the signing certificate is not for code signing (extended key usage)');
  if (!sans.includes(policy.identity)) fail(`wrong identity: the certificate names ${sans.length === 0 ? 'no one' : sans.join(', ')}, expected exactly ${policy.identity}`);
  if (issuer !== policy.issuer) fail(`wrong OIDC issuer: the certificate says ${issuer ?? 'nothing'}, expected exactly ${policy.issuer}`);

  // 3. The artifact itself.
  const checked = await streamCheck(path, leaf, signature);
  if (checked.sha256 !== sha256Hex) fail(`the file changed while it was verified (sha256:${checked.sha256})`);
  if (!checked.valid) fail('bad signature: it does not verify over this file with the certificate key');
  return { integratedTime, logIndex, identity: policy.identity, issuer: policy.issuer };
}
