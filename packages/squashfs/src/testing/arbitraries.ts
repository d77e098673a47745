import fc from 'fast-check';
import { Tree } from '../tree/tree.js';
import type { FsNode, FsNodeKind, NodeMeta } from '../tree/node.js';
import { describeTree } from './describe.js';
import { arbName, arbSymlinkTarget } from './names.js';
import { patternContent, type BlockPattern, type ContentSpec } from './pattern-content.js';

/** Entry kinds `arbTree` can produce; 'hardlink' adds a second name for an existing non-directory. */
export type ArbEntryKind = FsNodeKind | 'hardlink';

export const ALL_ENTRY_KINDS: readonly ArbEntryKind[] = ['dir', 'file', 'symlink', 'hardlink', 'blockdev', 'chardev', 'fifo', 'socket'];

export interface ArbTreeOptions {
  /** Deepest directory level below the root (default 3). */
  maxDepth?: number;
  /** Most generated entries (default 16; a large directory comes on top). */
  maxEntries?: number;
  /** File sizes cluster around multiples of this (default 4096; use the image block size). */
  blockSize?: number;
  /** Largest file in blocks (default 4). */
  maxFileBlocks?: number;
  /** Upper bound on the sum of file sizes (default 4 MiB); larger files are cut down. */
  maxTotalBytes?: number;
  /** Kinds to generate (default all). */
  kinds?: readonly ArbEntryKind[];
  /** Generate xattrs (default true): user./trusted./security., binary values, shared sets. */
  xattrs?: boolean;
  /** Add one directory with many entries: true = 200..1500 entries, a number = exactly that many (default false). */
  largeDirs?: boolean | number;
  /** Include uid/gid values above 65535 (default true). */
  largeIds?: boolean;
  /**
   * Kinds a hard link may point to (default every non-directory kind). mksquashfs 4.5.1 does not
   * keep hard links between symlinks, so a self-test of mksquashfs images leaves 'symlink' out.
   */
  hardlinkTargets?: readonly Exclude<FsNodeKind, 'dir'>[];
  /** Longest name in UTF-8 bytes (default 255, Linux NAME_MAX; 256 is valid SquashFS but cannot be materialized). */
  maxNameBytes?: number;
}

/** Block sizes mksquashfs and the kernel accept (4 KiB .. 1 MiB). */
export const BLOCK_SIZES = [4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576] as const;

/** Names that would collide with an LSM or be validated by the kernel. */
const RESERVED_SECURITY = /^(selinux|capability|ima|evm|SMACK64|apparmor)/;

export function arbXattrName(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('user.', 'trusted.', 'security.'), fc.oneof(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,24}$/), fc.constantFrom('ü', 'mime_type', 'a'.repeat(200))))
    .map(([prefix, suffix]) => (prefix === 'security.' && RESERVED_SECURITY.test(suffix) ? `${prefix}x${suffix}` : `${prefix}${suffix}`));
}

export function arbXattrValue(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 3000 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  );
}

/** A set of xattrs (0..4 names). */
export function arbXattrs(): fc.Arbitrary<Map<string, Uint8Array>> {
  return fc.uniqueArray(fc.tuple(arbXattrName(), arbXattrValue()), { maxLength: 4, selector: ([k]) => k }).map((e) => new Map(e));
}

/** uid/gid values: 0, small, and (optionally) large up to 2^32-2 (2^32-1 means "unchanged" to chown). */
export function arbId(large = true): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 65535 }) },
    ...(large ? [{ weight: 1, arbitrary: fc.integer({ min: 65536, max: 0xffff_fffe }) }] : []),
  );
}

/** mtimes over the whole u32 range, with its edges. */
export function arbMtime(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 1_700_000_000) },
  );
}

/** Permission bits, setuid/setgid/sticky included. */
export function arbMode(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(0o755, 0o644, 0o600, 0o777, 0o700, 0o4755, 0o2755, 0o1777) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0o7777 }) },
  );
}

interface MetaDraft {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** -1: none; >= 0: index into the shared pool; undefined: the own set. */
  shared: number;
  own: Map<string, Uint8Array>;
}

function arbMeta(options: Required<Pick<ArbTreeOptions, 'xattrs' | 'largeIds'>>): fc.Arbitrary<MetaDraft> {
  return fc.record({
    mode: arbMode(),
    uid: arbId(options.largeIds),
    gid: arbId(options.largeIds),
    mtime: arbMtime(),
    shared: options.xattrs ? fc.integer({ min: -3, max: 7 }) : fc.constant(-1),
    own: options.xattrs ? arbXattrs() : fc.constant(new Map<string, Uint8Array>()),
  });
}

/** File sizes clustered on block boundaries: 0, 1, k*bs-1, k*bs, k*bs+1, and anything in between. */
export function arbFileSize(blockSize: number, maxBlocks: number): fc.Arbitrary<number> {
  const max = blockSize * maxBlocks;
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(0, 1, blockSize - 1, blockSize, blockSize + 1) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: maxBlocks }), fc.integer({ min: -2, max: 2 })).map(([k, d]) => Math.max(0, Math.min(max, k * blockSize + d))),
    },
    { weight: 2, arbitrary: fc.integer({ min: 0, max }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: Math.min(blockSize, 600) }) },
  );
}

/** A deterministic content description: block patterns (sparse, random, text, repeated byte). */
export function arbContentSpec(blockSize: number, maxBlocks: number): fc.Arbitrary<ContentSpec> {
  return fc.record({
    size: arbFileSize(blockSize, maxBlocks),
    blockSize: fc.constant(blockSize),
    blocks: fc.array(fc.constantFrom<BlockPattern>('zero', 'random', 'text', 'repeat'), { minLength: 1, maxLength: 4 }),
    seed: fc.integer({ min: 0, max: 0x7fff_ffff }),
    chunkSize: fc.constantFrom(777, 4093, 4096, 65536, blockSize, 1 << 20),
    inMemory: fc.boolean(),
  });
}

interface EntryDraft {
  kind: ArbEntryKind;
  parent: number;
  name: string;
  meta: MetaDraft;
  content: ContentSpec;
  /** Reuse the content spec of an earlier file (identical data: dedup). */
  sameDataAs: number;
  target: string;
  major: number;
  minor: number;
  linkTo: number;
}

interface TreeDraft {
  root: MetaDraft;
  pool: Map<string, Uint8Array>[];
  entries: EntryDraft[];
  large: { count: number; seed: number } | null;
}

const USER_XATTR_KINDS: ReadonlySet<FsNodeKind> = new Set(['file', 'dir']);

function xattrsFor(kind: FsNodeKind, meta: MetaDraft, pool: Map<string, Uint8Array>[]): Map<string, Uint8Array> {
  const set = meta.shared >= 0 ? (pool.length > 0 ? pool[meta.shared % pool.length]! : meta.own) : meta.shared === -1 ? new Map<string, Uint8Array>() : meta.own;
  // Linux allows user.* only on regular files and directories.
  if (USER_XATTR_KINDS.has(kind)) return new Map(set);
  return new Map([...set].filter(([k]) => !k.startsWith('user.')));
}

function toMeta(kind: FsNodeKind, draft: MetaDraft, pool: Map<string, Uint8Array>[]): NodeMeta {
  return { mode: draft.mode, uid: draft.uid, gid: draft.gid, mtime: draft.mtime, xattrs: xattrsFor(kind, draft, pool) };
}

function buildTree(draft: TreeDraft, options: Required<Omit<ArbTreeOptions, 'kinds' | 'largeDirs'>>): Tree {
  const tree = new Tree();
  tree.root.meta = toMeta('dir', draft.root, draft.pool);
  const parents: { path: string; depth: number }[] = [{ path: '', depth: 0 }];
  const linkable: string[] = [];
  const canLink = new Set<FsNodeKind>(options.hardlinkTargets);
  const specs: ContentSpec[] = [];
  let budget = options.maxTotalBytes;
  const add = (path: string, node: FsNode): boolean => {
    if (tree.get(path) !== undefined) return false;
    tree.insert(path, node);
    return true;
  };
  for (const e of draft.entries) {
    const parent = parents[e.parent % parents.length]!;
    const path = parent.path === '' ? e.name : `${parent.path}/${e.name}`;
    if (tree.get(path) !== undefined) continue;
    switch (e.kind) {
      case 'dir':
        add(path, { kind: 'dir', meta: toMeta('dir', e.meta, draft.pool), entries: new Map() });
        if (parent.depth + 1 < options.maxDepth) parents.push({ path, depth: parent.depth + 1 });
        break;
      case 'file': {
        let spec = e.sameDataAs >= 0 && specs.length > 0 ? specs[e.sameDataAs % specs.length]! : e.content;
        if (spec.size > budget) spec = { ...spec, size: budget > 0 ? spec.size % (budget + 1) : 0 };
        budget -= spec.size;
        specs.push(spec);
        add(path, { kind: 'file', meta: toMeta('file', e.meta, draft.pool), content: patternContent(spec) });
        if (canLink.has('file')) linkable.push(path);
        break;
      }
      case 'symlink':
        // Linux symlinks are always 0777 (lstat, mksquashfs and tar all say so); other modes cannot be materialized.
        add(path, { kind: 'symlink', meta: { ...toMeta('symlink', e.meta, draft.pool), mode: 0o777 }, target: e.target });
        if (canLink.has('symlink')) linkable.push(path);
        break;
      case 'blockdev':
      case 'chardev':
        add(path, { kind: e.kind, meta: toMeta(e.kind, e.meta, draft.pool), major: e.major, minor: e.minor });
        if (canLink.has(e.kind)) linkable.push(path);
        break;
      case 'fifo':
      case 'socket':
        add(path, { kind: e.kind, meta: toMeta(e.kind, e.meta, draft.pool) });
        if (canLink.has(e.kind)) linkable.push(path);
        break;
      case 'hardlink': {
        if (linkable.length === 0) break;
        const existing = tree.get(linkable[e.linkTo % linkable.length]!)!;
        add(path, existing);
        break;
      }
    }
  }
  if (draft.large !== null) {
    const dir = 'large-dir';
    if (tree.get(dir) === undefined) {
      tree.dir(dir, { mode: 0o755, mtime: 1_700_000_000 });
      const shared = patternContent({ size: 3, blockSize: options.blockSize, blocks: ['text'], seed: draft.large.seed, chunkSize: 3, inMemory: true });
      for (let i = 0; i < draft.large.count; i++) {
        // Names of varying length and script so the listing crosses metadata blocks and index entries.
        const name = `${(i * 2654435761 + draft.large.seed) % 9973}-${i}${i % 7 === 0 ? '-ü' : ''}${i % 11 === 0 ? '-😀' : ''}${'x'.repeat(i % 40)}`;
        const path = `${dir}/${name}`;
        if (i % 5 === 0) tree.symlink(path, `t${i}`, { mtime: 1_700_000_000 });
        else tree.file(path, shared, { mtime: 1_700_000_000 });
      }
    }
  }
  return tree;
}

/**
 * Arbitrary `Tree`s for property tests: every entry kind, hard links, sparse/compressible/random
 * file data sized around block boundaries, identical files (dedup), xattrs with shared sets,
 * large ids, the whole u32 time range, setuid/sticky modes, Unicode and 256-byte names.
 * File data is generated from a seed (`patternContent`), so the same tree can be materialized
 * on disk and encoded any number of times.
 */
export function arbTree(options: ArbTreeOptions = {}): fc.Arbitrary<Tree> {
  const resolved = {
    maxDepth: options.maxDepth ?? 3,
    maxEntries: options.maxEntries ?? 16,
    blockSize: options.blockSize ?? 4096,
    maxFileBlocks: options.maxFileBlocks ?? 4,
    maxTotalBytes: options.maxTotalBytes ?? 4 * 1024 * 1024,
    xattrs: options.xattrs ?? true,
    largeIds: options.largeIds ?? true,
    maxNameBytes: options.maxNameBytes ?? 255,
    hardlinkTargets: options.hardlinkTargets ?? (['file', 'symlink', 'blockdev', 'chardev', 'fifo', 'socket'] as const),
  };
  const kinds = options.kinds ?? ALL_ENTRY_KINDS;
  if (kinds.length === 0) throw new Error('arbTree: kinds is empty');
  const meta = arbMeta(resolved);
  const entry: fc.Arbitrary<EntryDraft> = fc.record({
    kind: fc.constantFrom(...kinds),
    parent: fc.nat(),
    name: arbName(resolved.maxNameBytes),
    meta,
    content: arbContentSpec(resolved.blockSize, resolved.maxFileBlocks),
    sameDataAs: fc.integer({ min: -3, max: 5 }),
    target: arbSymlinkTarget(),
    major: fc.integer({ min: 0, max: 0xfff }),
    minor: fc.integer({ min: 0, max: 0xfffff }),
    linkTo: fc.nat(),
  });
  const large =
    options.largeDirs === undefined || options.largeDirs === false
      ? fc.constant(null)
      : fc.record({
          count: typeof options.largeDirs === 'number' ? fc.constant(options.largeDirs) : fc.integer({ min: 200, max: 1500 }),
          seed: fc.nat(),
        });
  return fc
    .record({
      root: meta,
      pool: resolved.xattrs ? fc.array(arbXattrs(), { maxLength: 3 }) : fc.constant<Map<string, Uint8Array>[]>([]),
      entries: fc.array(entry, { maxLength: resolved.maxEntries }),
      large,
    })
    .map((draft) => {
      const tree = buildTree(draft, resolved);
      Object.defineProperty(tree, fc.toStringMethod, { value: () => describeTree(tree), enumerable: false });
      return tree;
    });
}
