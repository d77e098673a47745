// A test Sigstore: a Fulcio-like CA (openssl CLI) issuing short-lived signing certificates with
// the SubjectAltName e-mail and the Fulcio OIDC-issuer extensions, a Rekor-like log key signing
// entry timestamps (SETs), and a fake Rekor `/api/v1/log/entries/retrieve` endpoint.
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TrustedRootJson } from '@sysext-bakery/kubernetes';
import type { Origin } from './origin.js';

export const K8S_IDENTITY = 'krel-staging@k8s-releng-prod.iam.gserviceaccount.com';
export const K8S_ISSUER = 'https://accounts.google.com';

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Ca {
  cert: string; // PEM file path
  key: string;
  der: Buffer;
}

export function makeRoot(dir: string, name: string): Ca {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-subj', `/O=test.invalid/CN=${name}`, '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const pem = readFileSync(join(dir, `${name}.pem`), 'utf8');
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), der: new X509Certificate(pem).raw };
}

export interface Leaf {
  pem: string;
  key: KeyObject;
  cert: X509Certificate;
}

/**
 * A Fulcio-style leaf valid for one day from now: SAN e-mail, code signing, the deprecated
 * issuer extension 1.1 as raw bytes (as Fulcio writes it) and/or 1.8 as a DER UTF8String.
 */
export function makeLeaf(dir: string, ca: Ca, name: string, opts: { email: string; issuerV1?: string; issuerV8?: string; eku?: string }): Leaf {
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/O=sigstore.dev']);
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${opts.eku ?? 'codeSigning'}`,
    `subjectAltName=email:${opts.email}`,
  ];
  if (opts.issuerV1 !== undefined) ext.push(`1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(opts.issuerV1).toString('hex').replace(/(..)(?!$)/g, '$1:')}`);
  if (opts.issuerV8 !== undefined) ext.push(`1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${opts.issuerV8}`);
  writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(Date.now()), '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  const pem = readFileSync(join(dir, `${name}.pem`), 'utf8');
  return { pem, key: createPrivateKey(readFileSync(join(dir, `${name}.key`))), cert: new X509Certificate(pem) };
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface Proposed {
  kind?: string;
  apiVersion?: string;
  spec?: { signature?: { content?: string; publicKey?: { content?: string } }; data?: { hash?: { algorithm?: string; value?: string } } };
}

/** A Rekor log: a P-256 key, entries, and the retrieve endpoint served by an {@link Origin}. */
export class FakeRekor {
  readonly key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  readonly spki = this.key.publicKey.export({ format: 'der', type: 'spki' });
  readonly logId = createHash('sha256').update(this.spki).digest('hex');
  /** `log`: only answer for logged entries; `anything`: log whatever is asked (a sloppy log); `bad-set`: answer with a SET over other data. */
  mode: 'log' | 'anything' | 'bad-set' | 'index-only' = 'log';
  integratedTime = Math.floor(Date.now() / 1000);
  private readonly entries = new Map<string, { body: string; integratedTime: number; logIndex: number }>();
  requests = 0;

  private static id(p: Proposed): string {
    return canonical({ h: p.spec?.data?.hash?.value, s: Buffer.from(p.spec?.signature?.content ?? '', 'base64').toString('hex'), c: Buffer.from(p.spec?.signature?.publicKey?.content ?? '', 'base64').toString() });
  }

  /** Log a hashedrekord (what cosign does when it signs). */
  add(sha256Hex: string, signature: Buffer, certPem: string): void {
    const p: Proposed = { kind: 'hashedrekord', apiVersion: '0.0.1', spec: { signature: { content: signature.toString('base64'), publicKey: { content: Buffer.from(certPem).toString('base64') } }, data: { hash: { algorithm: 'sha256', value: sha256Hex } } } };
    this.entries.set(FakeRekor.id(p), { body: Buffer.from(canonical(p)).toString('base64'), integratedTime: this.integratedTime, logIndex: 1000 + this.entries.size });
  }

  private logEntry(e: { body: string; integratedTime: number; logIndex: number }): Record<string, unknown> {
    const payload = { body: e.body, integratedTime: e.integratedTime, logID: this.logId, logIndex: e.logIndex };
    const signed = this.mode === 'bad-set' ? { ...payload, logIndex: payload.logIndex + 1 } : payload;
    const set = sign('sha256', Buffer.from(canonical(signed)), this.key.privateKey).toString('base64');
    return { [createHash('sha256').update(e.body).digest('hex')]: { ...payload, verification: { signedEntryTimestamp: set } } };
  }

  serve(origin: Origin, prefix = '/rekor'): void {
    // The hash index: digest → UUIDs; then one entry per UUID.
    origin.handlers.set(`${prefix}/api/v1/index/retrieve`, (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const { hash } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { hash?: string };
        const uuids = [...this.entries.values()]
          .filter((e) => (JSON.parse(Buffer.from(e.body, 'base64').toString()) as Proposed).spec?.data?.hash?.value === hash?.replace(/^sha256:/, ''))
          .map((e) => createHash('sha256').update(e.body).digest('hex'));
        for (const e of this.entries.values()) origin.handlers.set(`${prefix}/api/v1/log/entries/${createHash('sha256').update(e.body).digest('hex')}`, (_q, r) => {
          this.requests++;
          r.writeHead(200, { 'content-type': 'application/json' });
          r.end(JSON.stringify(this.logEntry(e)));
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(uuids));
      });
    });
    origin.handlers.set(`${prefix}/api/v1/log/entries/retrieve`, (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const query = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { entries?: Proposed[] };
        const out = (query.entries ?? []).map((p) => {
          let e = this.mode === 'index-only' ? undefined : this.entries.get(FakeRekor.id(p));
          if (e === undefined && (this.mode === 'anything' || this.mode === 'bad-set')) e = { body: Buffer.from(canonical(p)).toString('base64'), integratedTime: this.integratedTime, logIndex: 7 };
          return e === undefined ? {} : this.logEntry(e);
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      });
    });
  }
}

/** A trusted_root.json trusting `roots` (as Fulcio CAs) and the `rekor` log. */
export function trustedRoot(roots: Ca[], rekor: FakeRekor): TrustedRootJson {
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'http://127.0.0.1/rekor', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: rekor.spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } }, logId: { keyId: Buffer.from(rekor.logId, 'hex').toString('base64') } }],
    certificateAuthorities: roots.map((r) => ({ uri: 'https://fulcio.test.invalid', certChain: { certificates: [{ rawBytes: r.der.toString('base64') }] }, validFor: { start: '2020-01-01T00:00:00Z' } })),
  };
}

/** Sign each binary like krel: `<name>.sig` (base64 signature) and `<name>.cert` (base64 of the PEM); log it in `rekor`. */
export function signBinaries(origin: Origin, base: string, binaries: Record<string, Buffer>, leaf: Leaf, rekor: FakeRekor): void {
  for (const [name, body] of Object.entries(binaries)) {
    const sig = sign('sha256', body, leaf.key);
    origin.file(`${base}/${name}.sig`, sig.toString('base64'));
    origin.file(`${base}/${name}.cert`, Buffer.from(leaf.pem).toString('base64'));
    rekor.add(createHash('sha256').update(body).digest('hex'), sig, leaf.pem);
  }
}
