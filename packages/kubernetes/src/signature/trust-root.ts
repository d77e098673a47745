import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { KubernetesError } from '../core/errors.js';

/** The parts of a Sigstore `trusted_root.json` this package reads (protobuf-specs JSON form). */
export interface TrustedRootJson {
  mediaType?: string;
  tlogs?: Array<{
    baseUrl?: string;
    hashAlgorithm?: string;
    publicKey: { rawBytes: string; keyDetails?: string; validFor?: { start?: string; end?: string } };
    logId?: { keyId: string };
  }>;
  certificateAuthorities?: Array<{
    subject?: unknown;
    uri?: string;
    certChain: { certificates: Array<{ rawBytes: string }> };
    validFor?: { start?: string; end?: string };
  }>;
  [other: string]: unknown;
}

/** A validity window in milliseconds since the epoch (`end` open when absent). */
export interface Window {
  start: number;
  end: number;
}

export interface TrustedLog {
  baseUrl: string;
  /** Hex SHA-256 of the DER SubjectPublicKeyInfo (Rekor's log ID). */
  logId: string;
  key: KeyObject;
  validFor: Window;
}

export interface TrustedCa {
  uri: string;
  /** Issuer first, root last. */
  chain: X509Certificate[];
  validFor: Window;
}

export interface TrustRoot {
  logs: TrustedLog[];
  cas: TrustedCa[];
}

function bad(reason: string): KubernetesError {
  return new KubernetesError('SIGNATURE', `invalid Sigstore trusted root: ${reason}`);
}

function window(v: { start?: string; end?: string } | undefined, what: string): Window {
  const start = v?.start === undefined ? -Infinity : Date.parse(v.start);
  const end = v?.end === undefined ? Infinity : Date.parse(v.end);
  if (Number.isNaN(start) || Number.isNaN(end)) throw bad(`${what} has an unreadable validFor`);
  return { start, end };
}

/** Parse and check a `trusted_root.json` (keys and certificates must decode, log IDs must match their keys). */
export function parseTrustedRoot(json: TrustedRootJson): TrustRoot {
  if (typeof json !== 'object' || json === null) throw bad('not an object');
  const logs = (json.tlogs ?? []).map((t, i): TrustedLog => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(t.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' });
    } catch (err) {
      throw bad(`tlogs[${i}] public key does not decode: ${(err as Error).message}`);
    }
    const logId = createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('hex');
    if (t.logId !== undefined && Buffer.from(t.logId.keyId, 'base64').toString('hex') !== logId) throw bad(`tlogs[${i}] logId is not the SHA-256 of its key`);
    return { baseUrl: t.baseUrl ?? '', logId, key, validFor: window(t.publicKey.validFor, `tlogs[${i}]`) };
  });
  const cas = (json.certificateAuthorities ?? []).map((c, i): TrustedCa => {
    const chain = c.certChain.certificates.map((cert, j) => {
      try {
        return new X509Certificate(Buffer.from(cert.rawBytes, 'base64'));
      } catch (err) {
        throw bad(`certificateAuthorities[${i}] certificate ${j} does not decode: ${(err as Error).message}`);
      }
    });
    if (chain.length === 0) throw bad(`certificateAuthorities[${i}] has no certificates`);
    return { uri: c.uri ?? '', chain, validFor: window(c.validFor, `certificateAuthorities[${i}]`) };
  });
  if (logs.length === 0) throw bad('no transparency logs (tlogs)');
  if (cas.length === 0) throw bad('no certificate authorities');
  return { logs, cas };
}
