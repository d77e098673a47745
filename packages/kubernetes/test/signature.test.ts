import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchKubernetesArtifacts,
  type KubernetesError,
  parseTrustedRoot,
  SIGSTORE_PUBLIC_GOOD_TRUSTED_ROOT,
  type FetchOptions,
} from '@sysext-bakery/kubernetes';
import { Origin } from './helpers/origin.js';
import { publishCni, publishKubernetes, sha256, tempDir, type K8sRelease } from './helpers/fixtures.js';
import { fetchOptions, rejection, withOriginAndTempDir, type TempDir } from './helpers/harness.js';
import { FakeRekor, K8S_IDENTITY, K8S_ISSUER, hasOpenssl, makeLeaf, makeRoot, signBinaries, trustedRoot, type Ca, type Leaf } from './helpers/sigstore.js';

const opensslOk = hasOpenssl();
if (!opensslOk) console.warn('signature tests SKIPPED: the openssl CLI is not available to build the test CA');

let pki: { path: string; cleanup: () => Promise<void> };
let root: Ca;
let otherRoot: Ca;
const leaves = {} as Record<'good' | 'v1only' | 'serverAuth' | 'wrongIdentity' | 'wrongIssuer' | 'untrusted', Leaf>;

beforeAll(async () => {
  if (!opensslOk) return;
  pki = await tempDir();
  root = makeRoot(pki.path, 'fulcio-root');
  otherRoot = makeRoot(pki.path, 'other-root');
  leaves.good = makeLeaf(pki.path, root, 'good', { email: K8S_IDENTITY, issuerV1: K8S_ISSUER, issuerV8: K8S_ISSUER });
  leaves.v1only = makeLeaf(pki.path, root, 'v1only', { email: K8S_IDENTITY, issuerV1: K8S_ISSUER });
  // An identity that only contains the right one: an unanchored match would accept it.
  leaves.wrongIdentity = makeLeaf(pki.path, root, 'wrong-identity', { email: `x${K8S_IDENTITY}`, issuerV8: K8S_ISSUER });
  leaves.wrongIssuer = makeLeaf(pki.path, root, 'wrong-issuer', { email: K8S_IDENTITY, issuerV8: `${K8S_ISSUER}.evil.example` });
  leaves.serverAuth = makeLeaf(pki.path, root, 'server-auth', { email: K8S_IDENTITY, issuerV8: K8S_ISSUER, eku: 'serverAuth' });
  leaves.untrusted = makeLeaf(pki.path, otherRoot, 'untrusted', { email: K8S_IDENTITY, issuerV8: K8S_ISSUER });
});
afterAll(async () => {
  await pki?.cleanup();
});

let origin: Origin;
let dir: TempDir;
let rekor: FakeRekor;
let rel: K8sRelease;
const base = (r: K8sRelease): string => `/release/${r.version}/bin/linux/${r.arch}`;

withOriginAndTempDir((o, d) => {
  origin = o;
  dir = d;
  rekor = new FakeRekor();
  rekor.serve(origin);
  rel = publishKubernetes(origin, 'v1.35.0', 'amd64');
  publishCni(origin, 'v1.9.1', 'amd64');
});

function options(extra: Partial<FetchOptions> = {}): FetchOptions {
  return fetchOptions(origin, dir, {
    verifySignatures: true,
    rekorUrl: `${origin.url}/rekor`,
    trustedRoot: trustedRoot([root], rekor),
    ...extra,
  });
}

async function signatureError(extra: Partial<FetchOptions> = {}): Promise<KubernetesError> {
  const err = await rejection(fetchKubernetesArtifacts(options(extra)));
  expect(err.code).toBe('SIGNATURE');
  expect(['kubectl', 'kubeadm', 'kubelet']).toContain(err.artifact);
  expect(err.url).toBe(`${origin.url}${base(rel)}/${err.artifact}`);
  expect(err.message).toContain(err.url);
  return err;
}

describe.skipIf(!opensslOk)('cosign keyless signature verification', () => {
  it('verifies every binary, caches the bundle and re-verifies offline with zero requests', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    const r = await fetchKubernetesArtifacts(options());
    for (const b of r.binaries) {
      expect(b.verification).toBe('signature');
      expect(b.checks).toEqual(['signature', 'checksum-file']);
      expect(existsSync(join(dir.path, 'cache', 'artifacts', 'signatures', 'sha256', `${b.sha256}.sigstore.json`))).toBe(true);
    }
    expect(r.cni.verification).toBe('checksum-file'); // CNI publishes no signatures
    expect(rekor.requests).toBe(3);
    const before = origin.log.length;
    const again = await fetchKubernetesArtifacts(options({ offline: true }));
    expect(origin.log.length).toBe(before);
    expect(again.binaries.map((b) => b.verification)).toEqual(['signature', 'signature', 'signature']);
    // Online again: the cached bundle is enough, no new Rekor lookup.
    await fetchKubernetesArtifacts(options());
    expect(rekor.requests).toBe(3);
  });

  it('finds the entry through the hash index when the entry search finds nothing', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    rekor.mode = 'index-only';
    const r = await fetchKubernetesArtifacts(options());
    expect(r.binaries.map((b) => b.verification)).toEqual(['signature', 'signature', 'signature']);
    expect(origin.log.filter((l) => l.path.startsWith('/rekor/api/v1/log/entries/') && l.method === 'GET')).toHaveLength(3);
  });

  it('ranks the signature below a pinned digest, and reads the raw-bytes issuer extension (1.1)', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.v1only, rekor);
    const pinned = { kubelet: { amd64: { 'v1.35.0': sha256(rel.binaries.kubelet) } } };
    const r = await fetchKubernetesArtifacts(options({ pinned }));
    const kubelet = r.binaries.find((b) => b.name === 'kubelet');
    expect(kubelet?.checks).toEqual(['pinned', 'signature']);
    expect(r.binaries.find((b) => b.name === 'kubectl')?.verification).toBe('signature');
  });

  it('rejects a tampered binary that Rekor never logged', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    const evil = Buffer.from(rel.binaries.kubelet);
    evil[0] = (evil[0] as number) ^ 1;
    origin.file(`${base(rel)}/kubelet`, evil);
    origin.file(`${base(rel)}/kubelet.sha256`, sha256(evil)); // a compromised origin fixes its checksum too
    const err = await signatureError();
    expect(err.artifact).toBe('kubelet');
    expect(err.message).toMatch(/no Rekor entry/);
  });

  it('rejects a tampered binary even when the log vouches for the entry (bad signature)', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    rekor.mode = 'anything';
    const evil = Buffer.from(rel.binaries.kubeadm);
    evil[100] = (evil[100] as number) ^ 0x80;
    origin.file(`${base(rel)}/kubeadm`, evil);
    origin.file(`${base(rel)}/kubeadm.sha256`, sha256(evil));
    const err = await signatureError();
    expect(err.artifact).toBe('kubeadm');
    expect(err.message).toMatch(/bad signature/);
  });

  it('rejects a certificate for another identity (exact match, not a substring)', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.wrongIdentity, rekor);
    const err = await signatureError();
    expect(err.message).toContain(`wrong identity: the certificate names x${K8S_IDENTITY}, expected exactly ${K8S_IDENTITY}`);
  });

  it('rejects a certificate from another OIDC issuer', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.wrongIssuer, rekor);
    const err = await signatureError();
    expect(err.message).toMatch(/wrong OIDC issuer/);
  });

  it('rejects a certificate without the code-signing key usage', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.serverAuth, rekor);
    const err = await signatureError();
    expect(err.message).toMatch(/not for code signing/);
  });

  it('rejects a signature logged after the certificate expired', async () => {
    rekor.integratedTime = Math.floor(Date.now() / 1000) + 3 * 86400;
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    const err = await signatureError();
    expect(err.message).toMatch(/not valid at the integrated time/);
  });

  it('rejects a bad signed entry timestamp', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    rekor.mode = 'bad-set';
    const err = await signatureError();
    expect(err.message).toMatch(/bad Rekor signed entry timestamp/);
  });

  it('rejects a log the trust root does not know', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    const err = await signatureError({ trustedRoot: trustedRoot([root], new FakeRekor()) });
    expect(err.message).toMatch(/untrusted log/);
  });

  it('rejects a certificate that does not chain to the trusted CA', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.untrusted, rekor);
    const err = await signatureError();
    expect(err.message).toMatch(/untrusted certificate chain/);
  });

  it('fails when no .sig is published', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    origin.files.delete(`${base(rel)}/kubectl.sig`);
    const err = await signatureError();
    expect(err.artifact).toBe('kubectl');
    expect(err.message).toMatch(/no signature published at .*kubectl\.sig \(HTTP 404\)/);
  });

  it('offline without a cached bundle: OFFLINE_MISSING names the missing bundle', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    await fetchKubernetesArtifacts(options({ verifySignatures: false }));
    const before = origin.log.length;
    const err = await rejection(fetchKubernetesArtifacts(options({ offline: true })));
    expect(err.code).toBe('OFFLINE_MISSING');
    expect(err.message).toMatch(/signature bundle not in the cache/);
    expect(err.missing?.map((m) => m.artifact)).toEqual(['kubectl', 'kubeadm', 'kubelet']);
    expect(origin.log.length).toBe(before);
  });

  it('re-checks the cached bundle offline: a tampered bundle fails', async () => {
    signBinaries(origin, base(rel), rel.binaries, leaves.good, rekor);
    const r = await fetchKubernetesArtifacts(options());
    const kubelet = r.binaries.find((b) => b.name === 'kubelet');
    const path = join(dir.path, 'cache', 'artifacts', 'signatures', 'sha256', `${kubelet?.sha256}.sigstore.json`);
    const bundle = JSON.parse(await readFile(path, 'utf8')) as { verificationMaterial: { tlogEntries: Array<{ integratedTime: string }> } };
    const entry = bundle.verificationMaterial.tlogEntries[0] as { integratedTime: string };
    entry.integratedTime = String(Number(entry.integratedTime) - 1);
    await writeFile(path, JSON.stringify(bundle));
    const err = await rejection(fetchKubernetesArtifacts(options({ offline: true })));
    expect(err.code).toBe('SIGNATURE');
    expect(err.artifact).toBe('kubelet');
    expect(err.message).toMatch(/bad Rekor signed entry timestamp.*cached bundle/);
  });
});

describe('the pinned Sigstore public-good trust root', () => {
  it('parses: the rekor.sigstore.dev key and the Fulcio CA chains', () => {
    const parsed = parseTrustedRoot(SIGSTORE_PUBLIC_GOOD_TRUSTED_ROOT);
    const rekorLog = parsed.logs.find((l) => l.baseUrl === 'https://rekor.sigstore.dev');
    expect(rekorLog?.logId).toBe('c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d');
    expect(rekorLog?.key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const current = parsed.cas.find((c) => c.validFor.end === Infinity);
    expect(current?.chain.map((c) => c.subject.replace(/\n/g, ','))).toEqual(['O=sigstore.dev,CN=sigstore-intermediate', 'O=sigstore.dev,CN=sigstore']);
    // The intermediate is issued by the root, the root by itself.
    expect(current?.chain[0]?.verify(current.chain[1]!.publicKey)).toBe(true);
    expect(current?.chain[1]?.verify(current.chain[1]!.publicKey)).toBe(true);
  });

  it('refuses a trust root whose log ID is not its key', () => {
    const copy = structuredClone(SIGSTORE_PUBLIC_GOOD_TRUSTED_ROOT);
    copy.tlogs![0]!.logId = { keyId: Buffer.alloc(32).toString('base64') };
    expect(() => parseTrustedRoot(copy)).toThrow(/logId is not the SHA-256 of its key/);
  });
});
