import { SquashfsError } from '../errors.js';
import type { DirNode, FsNode } from './node.js';

/**
 * Directories read on demand (`DirNode.load`, set by `fromDirectory(dir, { lazy: true })`).
 *
 * The writer loads them itself in data order; everything else that walks or edits a tree loads
 * first: {@link loadDirSync} for one directory (synchronous loaders only), {@link loadTree} for all.
 */

/**
 * Starts loading `dir` if it is still to be read (the loader runs once; it removes `dir.load`):
 * undefined once it is loaded, or the promise of a loader that reads asynchronously.
 */
export function startLoad(dir: DirNode): Promise<void> | undefined {
  const pending = dir.load?.call(dir);
  return pending !== undefined && typeof (pending as Promise<void>).then === 'function' ? (pending as Promise<void>) : undefined;
}

/** Loads `dir` if it is still to be read; a loader that returns a promise is an error here. */
export function loadDirSync(dir: DirNode, path: string): void {
  const pending = startLoad(dir);
  if (pending !== undefined) {
    pending.catch(() => {}); // reported by whoever awaits the loader next
    throw new SquashfsError('INVALID_ARGUMENT', `${JSON.stringify(path)} is read lazily and asynchronously: await loadTree(tree) before walking or changing the tree`, { path });
  }
}

/** Loads `dir` if it is still to be read. */
export async function loadDir(dir: DirNode): Promise<void> {
  await startLoad(dir);
}

/** Loads every directory of the tree that is still to be read. */
export async function loadTree(root: DirNode | { root: DirNode }): Promise<void> {
  const top = 'kind' in root ? root : root.root;
  const stack: DirNode[] = [top];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    await loadDir(dir);
    for (const child of dir.entries.values()) if (child.kind === 'dir') stack.push(child);
  }
}

/** True when some directory reachable without loading anything is still to be read. */
export function hasLazyDirs(root: DirNode): boolean {
  const stack: FsNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind !== 'dir') continue;
    if (node.load !== undefined) return true;
    for (const child of node.entries.values()) stack.push(child);
  }
  return false;
}
