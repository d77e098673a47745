import type { ExpectOptions, ExpectedEntry } from '../expected.js';
import type { Tree } from '../../tree/tree.js';
import type { DirNode } from '../../tree/node.js';
import type { OracleResult } from '../report.js';
import type { WriteOptions } from '../../writer/options.js';

/** What every oracle gets. */
export interface OracleContext {
  imagePath: string;
  tree: Tree | DirNode;
  expected: readonly ExpectedEntry[];
  expect: ExpectOptions;
  /** A private scratch directory, removed afterwards. */
  workDir: string;
  /** Running as root: owners, devices and trusted.* xattrs can be restored on extraction. */
  root: boolean;
  /** Options of the image under test that the reference image must copy (sqfsdiff). */
  write: ReferenceOptions;
}

/** The WriteOptions that matter for a mksquashfs reference build. */
export type ReferenceOptions = Pick<
  WriteOptions,
  'blockSize' | 'allRoot' | 'fragments' | 'tailEnds' | 'dedup' | 'xattrs' | 'exports' | 'clampMtime'
> & {
  /** mksquashfs also knows xz, lzo and lz4, which a reference build may ask for. */
  compression?: 'gzip' | 'zstd' | 'xz' | 'lzo' | 'lz4' | 'none';
};

export type Oracle = (ctx: OracleContext) => Promise<OracleResult>;

export function unavailable(oracle: OracleResult['oracle'], reason: string): OracleResult {
  return { oracle, status: 'unavailable', reason, differences: [] };
}

/** Bytes the image's files hold in total (oracles that copy all data skip huge trees). */
export function totalFileBytes(expected: readonly ExpectedEntry[]): number {
  let total = 0;
  for (const e of expected) if (e.kind === 'file' && e.paths[0] === e.path) total += e.size ?? 0;
  return total;
}
