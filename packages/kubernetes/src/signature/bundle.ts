/**
 * A Sigstore bundle (media type `application/vnd.dev.sigstore.bundle+json;version=0.1`, the
 * form cosign writes with `--bundle`): the signing certificate, the message signature and the
 * Rekor entry with its signed entry timestamp (SET). Built once from `.sig` + `.cert` + the Rekor
 * entry, kept in the cache, and re-verified offline.
 */
export interface SigstoreBundle {
  mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1';
  verificationMaterial: {
    x509CertificateChain: { certificates: Array<{ rawBytes: string }> };
    tlogEntries: TlogEntry[];
  };
  messageSignature: {
    messageDigest: { algorithm: 'SHA2_256'; digest: string };
    signature: string;
  };
}

export interface TlogEntry {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise: { signedEntryTimestamp: string };
  /** Base64 of the canonical entry body as Rekor stored it. */
  canonicalizedBody: string;
}

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/** A Rekor v1 `LogEntry` value (the object under the entry UUID). */
export interface RekorLogEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: { signedEntryTimestamp?: string };
}

export function buildBundle(certDer: Uint8Array, signature: Uint8Array, sha256Hex: string, entry: RekorLogEntry): SigstoreBundle {
  const set = entry.verification?.signedEntryTimestamp;
  if (typeof set !== 'string') throw new Error('the Rekor entry carries no signed entry timestamp');
  let kind = '';
  let version = '';
  try {
    const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as { kind?: unknown; apiVersion?: unknown };
    kind = typeof body.kind === 'string' ? body.kind : '';
    version = typeof body.apiVersion === 'string' ? body.apiVersion : '';
  } catch {
    // checked again, with a precise message, by the verifier
  }
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: Buffer.from(certDer).toString('base64') }] },
      tlogEntries: [
        {
          logIndex: String(entry.logIndex),
          logId: { keyId: Buffer.from(entry.logID, 'hex').toString('base64') },
          kindVersion: { kind, version },
          integratedTime: String(entry.integratedTime),
          inclusionPromise: { signedEntryTimestamp: set },
          canonicalizedBody: entry.body,
        },
      ],
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(sha256Hex, 'hex').toString('base64') },
      signature: Buffer.from(signature).toString('base64'),
    },
  };
}
