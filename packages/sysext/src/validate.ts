import type { DirNode, FsNode } from '@sysext-bakery/squashfs';
import { SysextError, type SysextWarning } from './errors.js';
import { EXTENSION_RELEASE_DIR } from './extension-release.js';

function child(dir: DirNode, ...names: string[]): FsNode | undefined {
  let node: FsNode = dir;
  for (const name of names) {
    if (node.kind !== 'dir') return undefined;
    const next: FsNode | undefined = node.entries.get(name);
    if (next === undefined) return undefined;
    node = next;
  }
  return node;
}

/**
 * Host paths that are symlinks on common sysext hosts. A real directory in the image at one of
 * these hides the host's symlink while merged (Flatcar `usr/sbin -> bin`, bakery issue #131).
 */
const REFUSED_DIRS = ['usr/sbin'] as const;
const SYMLINK_ON_SOME_HOSTS: Readonly<Record<string, string>> = {
  'usr/lib64': 'on some hosts /usr/lib64 is a symlink; the image would hide it there',
};

/**
 * Checks a sysext tree before encoding. Throws `FORBIDDEN_CONTENT` for what systemd refuses or
 * what breaks a host when merged, `NAME_MISMATCH` for an extension-release file of another name;
 * returns warnings for what merges but deserves a look.
 *
 * `name` is the image name; `ownRelease` says the caller adds extension-release.<name> itself
 * (so an existing one of that name is a conflict).
 *
 * It reads only directories already loaded: in a tree with directories still to be read
 * (DirNode.load), load the root and usr/, usr/lib/ and usr/lib/extension-release.d/ first
 * (buildSysext does).
 */
export function validateSysextTree(root: DirNode, name: string, options: { ownRelease?: boolean } = {}): SysextWarning[] {
  const warnings: SysextWarning[] = [];
  for (const [entry, node] of root.entries) {
    if (entry !== 'usr' && entry !== 'opt') {
      throw new SysextError('FORBIDDEN_CONTENT', `"${entry}" is outside usr/ and opt/: systemd-sysext never merges it; a sysext may only ship usr/ and opt/`, { path: entry });
    }
    if (node.kind !== 'dir') {
      throw new SysextError('FORBIDDEN_CONTENT', `"${entry}" is a ${node.kind}, not a directory: systemd-sysext does not follow it and the host's /${entry} would be masked`, { path: entry });
    }
  }
  for (const path of REFUSED_DIRS) {
    const node = child(root, ...path.split('/'));
    if (node?.kind === 'dir') {
      throw new SysextError('FORBIDDEN_CONTENT', `"${path}" is a real directory: on Flatcar /usr/sbin is a symlink to bin, and merging this image would hide every host binary in it; put the files in usr/bin`, { path });
    }
  }
  const osRelease = child(root, 'usr', 'lib', 'os-release');
  if (osRelease !== undefined) {
    throw new SysextError('FORBIDDEN_CONTENT', '"usr/lib/os-release" is present: systemd-sysext refuses extensions that carry it', { path: 'usr/lib/os-release' });
  }
  const releaseDir = child(root, ...EXTENSION_RELEASE_DIR.split('/'));
  if (releaseDir !== undefined) {
    if (releaseDir.kind !== 'dir') {
      throw new SysextError('FORBIDDEN_CONTENT', `"${EXTENSION_RELEASE_DIR}" is a ${releaseDir.kind}, not a directory`, { path: EXTENSION_RELEASE_DIR });
    }
    for (const [entry, node] of releaseDir.entries) {
      const path = `${EXTENSION_RELEASE_DIR}/${entry}`;
      if (!entry.startsWith('extension-release.')) continue;
      const own = entry.slice('extension-release.'.length);
      if (own !== name) {
        throw new SysextError('NAME_MISMATCH', `"${path}" names the extension "${own}", but the image is "${name}": systemd-sysext requires extension-release.<image name> (remove it or build with --name ${own})`, { path });
      }
      if (options.ownRelease === true) {
        throw new SysextError('FORBIDDEN_CONTENT', `"${path}" already exists in the input; the builder writes it from the options (remove it from the input, or pack the tree as is with "bakery pack")`, { path });
      }
      if (node.kind !== 'file') {
        throw new SysextError('INVALID_EXTENSION_RELEASE', `"${path}" is a ${node.kind}, not a regular file`, { path });
      }
    }
  }
  for (const [path, why] of Object.entries(SYMLINK_ON_SOME_HOSTS)) {
    if (child(root, ...path.split('/'))?.kind === 'dir') warnings.push({ code: 'HOST_SYMLINK_DIR', message: `"${path}": ${why}`, path });
  }
  return warnings;
}
