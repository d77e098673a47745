import { KubernetesError } from './errors.js';

/** `vMAJOR.MINOR.PATCH` with an optional pre-release (`-rc.1`, `-alpha.2`). */
export const RELEASE_RE = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
/** A stable release: no pre-release part. */
export const STABLE_RE = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export interface ParsedVersion {
  major: number;
  minor: number;
  patch: number;
  prerelease: string | undefined;
}

/** Parse `v1.32.0` (or a pre-release); `undefined` when it is not a release version. */
export function parseVersion(v: string): ParsedVersion | undefined {
  const m = RELEASE_RE.exec(v);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4]?.slice(1) };
}

/** Add the leading `v` if missing (`1.9.1` → `v1.9.1`). */
export function withV(v: string): string {
  return v.startsWith('v') ? v : `v${v}`;
}

/** Validate and normalise an exact release version; throws `INVALID_ARGUMENT`. */
export function exactVersion(spec: string, what: string): string {
  const v = withV(spec.trim());
  if (!RELEASE_RE.test(v)) {
    throw new KubernetesError('INVALID_ARGUMENT', `invalid ${what} version "${spec}": expected vX.Y.Z`, { version: spec });
  }
  return v;
}

function comparePre(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1; // a release sorts after its pre-releases
  if (b === undefined) return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** Semantic-version order (ascending) of two `vX.Y.Z[-pre]` strings. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (pa === undefined || pb === undefined) return a < b ? -1 : a > b ? 1 : 0;
  return pa.major - pb.major || pa.minor - pb.minor || pa.patch - pb.patch || comparePre(pa.prerelease, pb.prerelease);
}

/** `v1.32.4` → `1.32`. */
export function minorOf(v: string): string {
  const p = parseVersion(v);
  if (p === undefined) throw new KubernetesError('INVALID_ARGUMENT', `not a release version: "${v}"`, { version: v });
  return `${p.major}.${p.minor}`;
}
