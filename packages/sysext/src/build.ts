import { contentFromBytes, loadDir, Tree, type DirNode, type FsNode, type ImageSink, type WriteProgress, type WriteResult } from '@sysext-bakery/squashfs';
import { createFileSink, fromDirectory, nodeCodecs, writeImage } from './deps.js';
import { SysextError, type SysextWarning } from './errors.js';
import { EXTENSION_RELEASE_DIR, formatExtensionRelease, validateArchitecture, validateImageName } from './extension-release.js';
import { validateSysextTree } from './validate.js';
import { verifySysextImage } from './verify-sysext.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface BuildSysextOptions {
  /** Extension name: the image must be merged as `<name>.raw` (extension-release.<name> inside). */
  name: string;
  /** The content: a Tree or DirNode built in code, or a directory on disk. Only usr/ and opt/. */
  files: Tree | DirNode | string;
  /** systemd architecture for ARCHITECTURE= (`x86-64`, `arm64`, ...); omitted when undefined. */
  arch?: string;
  /** Host OS ID= (default `_any`: any OS with systemd >= 252). */
  os?: string;
  /** SYSEXT_LEVEL=; default `1.0` when `os` is not `_any`; null to leave it out. */
  sysextLevel?: string | null;
  /** Write EXTENSION_RELOAD_MANAGER=1 (the extension ships units that must be seen at merge). */
  reloadManager?: boolean;
  /** Further extension-release fields (SYSEXT_SCOPE, SYSEXT_VERSION_ID, ...). */
  extensionRelease?: Readonly<Record<string, string>>;
  /** Block compression (default gzip: older Flatcar kernels cannot mount zstd SquashFS). */
  compression?: Compression;
  level?: number;
  blockSize?: number;
  /** Clamp every mtime to this and use it as the mkfs time (default 0, as the bakery's SOURCE_DATE_EPOCH). */
  epoch?: number;
  /** Store extended attributes (default false: host labels make builds differ between machines). */
  xattrs?: boolean;
  /** The image file to write (temp file + rename), or a sink. */
  output: string | ImageSink;
  /** Read the image back and check it (default true when `output` is a path). */
  verify?: boolean;
  onProgress?: (progress: WriteProgress) => void;
  onWarning?: (warning: SysextWarning) => void;
  signal?: AbortSignal;
}

export interface BuildSysextResult {
  /** The image path, when `output` was a path. */
  path?: string;
  size: number;
  /** SHA-256 of the image (hex), when `output` was a path. */
  sha256?: string;
  /** The extension-release text written into the image. */
  extensionRelease: string;
  warnings: SysextWarning[];
  write: WriteResult;
}

/**
 * Copy-on-write: a new root whose path down to `dirPath` is fresh DirNodes; other entries are
 * shared. The directories on that path must be loaded ({@link loadReleasePath}): a copy of one
 * still to be read would have no entries.
 */
function withFile(root: DirNode, dirPath: string, name: string, node: FsNode, mtime: number): DirNode {
  const copy = (dir: DirNode): DirNode => ({ kind: 'dir', meta: dir.meta, entries: new Map(dir.entries) });
  const newRoot = copy(root);
  let dir = newRoot;
  for (const part of dirPath.split('/')) {
    const existing = dir.entries.get(part);
    let next: DirNode;
    if (existing === undefined) {
      next = { kind: 'dir', meta: { mode: 0o755, uid: 0, gid: 0, mtime, xattrs: new Map() }, entries: new Map() };
    } else if (existing.kind === 'dir') {
      next = copy(existing);
    } else {
      throw new SysextError('FORBIDDEN_CONTENT', `"${dirPath}" is blocked by a ${existing.kind} at "${part}"`, { path: dirPath });
    }
    dir.entries.set(part, next);
    dir = next;
  }
  dir.entries.set(name, node);
  return newRoot;
}


/**
 * Loads what the checks read and {@link withFile} copies in a tree with directories still to be
 * read (DirNode.load, e.g. `fromDirectory(dir, { lazy: true })`): the root and each directory down
 * to usr/lib/extension-release.d. The rest stays lazy, for the writer to read as it goes.
 */
async function loadReleasePath(root: DirNode): Promise<void> {
  await loadDir(root);
  let dir: FsNode | undefined = root;
  for (const part of EXTENSION_RELEASE_DIR.split('/')) {
    dir = dir.entries.get(part);
    if (dir?.kind !== 'dir') return;
    await loadDir(dir);
  }
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffff_ffff) {
    throw new SysextError('INVALID_ARGUMENT', `epoch ${epoch} is not a whole number of seconds in 0..4294967295`);
  }
}

/**
 * Builds a sysext image from any tree or directory: checks the content (only usr/ and opt/, no
 * real usr/sbin, no usr/lib/os-release, no extension-release of another name), adds
 * usr/lib/extension-release.d/extension-release.<name>, and encodes it as SquashFS with every
 * inode root-owned and every time clamped to `epoch` (what `mksquashfs -all-root` with
 * SOURCE_DATE_EPOCH does). The caller's tree is not modified.
 */
export async function buildSysext(options: BuildSysextOptions): Promise<BuildSysextResult> {
  validateImageName(options.name);
  if (options.arch !== undefined) validateArchitecture(options.arch);
  const epoch = options.epoch ?? 0;
  checkEpoch(epoch);
  const compression = options.compression ?? 'gzip';
  if (!['gzip', 'zstd', 'none'].includes(compression)) {
    throw new SysextError('INVALID_ARGUMENT', `unknown compression ${JSON.stringify(compression)}: use gzip, zstd or none`);
  }

  let root: DirNode;
  // A directory is read as it is written (as `bakery pack` reads it): each subdirectory when the
  // writer reaches it, so the scan overlaps compression.
  if (typeof options.files === 'string') root = (await fromDirectory(options.files, { xattrs: options.xattrs === true, sync: true, lazy: true })).root;
  else if (options.files instanceof Tree) root = options.files.root;
  else root = options.files;
  if (root.kind !== 'dir') throw new SysextError('INVALID_ARGUMENT', 'files must be a Tree, a DirNode or a directory path');

  await loadReleasePath(root);
  const warnings = validateSysextTree(root, options.name, { ownRelease: true });
  for (const w of warnings) options.onWarning?.(w);

  const extensionRelease = formatExtensionRelease({
    os: options.os ?? '_any',
    ...(options.sysextLevel === undefined ? {} : { sysextLevel: options.sysextLevel }),
    ...(options.arch === undefined ? {} : { arch: options.arch }),
    reloadManager: options.reloadManager === true,
    ...(options.extensionRelease === undefined ? {} : { extra: options.extensionRelease }),
  });
  const releaseNode: FsNode = {
    kind: 'file',
    meta: { mode: 0o644, uid: 0, gid: 0, mtime: epoch, xattrs: new Map() },
    content: contentFromBytes(extensionRelease, `extension-release.${options.name}`),
  };
  const image = withFile(root, EXTENSION_RELEASE_DIR, `extension-release.${options.name}`, releaseNode, epoch);

  const path = typeof options.output === 'string' ? options.output : undefined;
  const verify = path !== undefined && options.verify !== false;
  // A checked image replaces the target only once it passed: it is read back as the temp file
  // (while its SHA-256 is computed), then renamed.
  const fileSink = path !== undefined ? await createFileSink(path, { sha256: true, deferRename: verify }) : undefined;
  const sink = fileSink ?? (options.output as ImageSink);
  const codecs = await nodeCodecs();
  const write = await writeImage(image, sink, {
    compression,
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.blockSize === undefined ? {} : { blockSize: options.blockSize }),
    ...(codecs === undefined ? {} : { codecs }),
    allRoot: true,
    xattrs: options.xattrs === true,
    mkfsTime: epoch,
    clampMtime: epoch,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onWarning: (w) => options.onWarning?.({ code: 'OTHER', message: w.message, ...(w.path === undefined ? {} : { path: w.path }) }),
  });

  const result: BuildSysextResult = { size: write.size, extensionRelease, warnings, write };
  if (path !== undefined) {
    result.path = path;
    if (verify) {
      try {
        await verifySysextImage(fileSink!.tempPath, { name: options.name, full: true, label: path });
        await fileSink!.commit();
      } catch (error) {
        await fileSink!.abort(error).catch(() => {}); // the temp file goes; an existing image stays
        throw error;
      }
    }
    result.sha256 = fileSink!.sha256; // a file sink asked for the digest gives it once renamed
  }
  return result;
}
