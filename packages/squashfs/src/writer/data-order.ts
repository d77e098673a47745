import { compareNames } from '../tree/names.js';
import type { DirNode, FileNode, FsNode } from '../tree/node.js';

export interface DataFile {
  node: FileNode;
  path: string;
}

interface Level {
  children: { name: string; node: FsNode }[];
  next: number;
  path: string;
}

/**
 * The files of a tree in data order (what `prepareTree` lists as `files`: pre-order, children in
 * byte order, each hard-linked file at its first reference), found one at a time and loading lazy
 * directories (`DirNode.load`) only when the walk reaches them, so a directory scan overlaps the
 * compression of the files found before it.
 */
export class DataOrder {
  /** Every file found so far, in order. */
  readonly files: DataFile[] = [];
  private readonly stack: Level[] = [];
  private readonly seen = new Set<FsNode>();
  private pendingRoot: DirNode | null;

  constructor(root: DirNode) {
    this.pendingRoot = root;
  }

  /**
   * Finds the next file (appended to {@link files}); false once the whole tree was walked. The
   * answer is synchronous unless a directory on the way loads asynchronously: the writer awaits
   * only where something is pending.
   */
  advance(): boolean | Promise<boolean> {
    if (this.pendingRoot !== null) {
      const root = this.pendingRoot;
      this.pendingRoot = null;
      const loading = this.enter(root, '/');
      if (loading !== undefined) return loading.then(() => this.advance());
    }
    for (;;) {
      const level = this.stack[this.stack.length - 1];
      if (level === undefined) return false;
      const child = level.children[level.next++];
      if (child === undefined) {
        this.stack.pop();
        continue;
      }
      const path = level.path === '/' ? `/${child.name}` : `${level.path}/${child.name}`;
      const node = child.node;
      if (node.kind === 'dir') {
        const loading = this.enter(node, path);
        if (loading !== undefined) return loading.then(() => this.advance());
      } else if (node.kind === 'file' && !this.seen.has(node)) {
        this.seen.add(node);
        this.files.push({ node, path });
        return true;
      }
    }
  }

  /** Loads `dir` (a promise only when its loader returns one), then lists its sorted children. */
  private enter(dir: DirNode, path: string): Promise<void> | undefined {
    const loading = dir.load?.call(dir);
    if (loading !== undefined && typeof (loading as Promise<void>).then === 'function') return (loading as Promise<void>).then(() => this.push(dir, path));
    this.push(dir, path);
    return undefined;
  }

  private push(dir: DirNode, path: string): void {
    const children: { name: string; node: FsNode }[] = [];
    dir.entries.forEach((node, name) => children.push({ name, node }));
    children.sort((a, b) => compareNames(a.name, b.name));
    this.stack.push({ children, next: 0, path });
  }
}
