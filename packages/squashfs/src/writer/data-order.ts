import { SquashfsError } from '../errors.js';
import { startLoad } from '../tree/lazy.js';
import type { DirNode } from '../tree/node.js';
import { TreePreparer, type Child, type DataFile, type NodeInfo, type PrepareOptions, type PreparedTree } from './prepare.js';

interface Level {
  children: Child[];
  info: NodeInfo;
  next: number;
}

/**
 * The files of a tree in data order (what `prepareTree` lists as `files`: pre-order, children in
 * byte order, each hard-linked file at its first reference), found one at a time and loading lazy
 * directories (`DirNode.load`) only when the walk reaches them, so a directory scan overlaps the
 * compression of the files found before it. The walk prepares the tree as it goes (a
 * {@link TreePreparer}: numbering, checks, ids, xattr sets), so that little is left for the end.
 */
export class DataOrder {
  private readonly preparer: TreePreparer;
  private readonly stack: Level[] = [];
  private pendingRoot: DirNode | null;

  constructor(root: DirNode, options: PrepareOptions) {
    this.preparer = new TreePreparer(root, options);
    this.pendingRoot = root;
  }

  /** Every file found so far, in order. */
  get files(): readonly DataFile[] {
    return this.preparer.files;
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
      const loading = this.enter(root, this.preparer.rootInfo);
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
      const info = this.preparer.child(child, level.info);
      if (info === null) continue; // another link to a node met before
      const node = child.node;
      if (node.kind === 'dir') {
        const loading = this.enter(node, info);
        if (loading !== undefined) return loading.then(() => this.advance());
      } else if (node.kind === 'file') {
        return true;
      }
    }
  }

  /**
   * The prepared tree, once {@link advance} answered false. Refuses a tree changed behind the walk
   * (an entry added to, removed from or replaced in a directory already listed).
   */
  finish(): PreparedTree {
    const changed = this.preparer.changedEntry();
    if (changed !== undefined) throw new SquashfsError('INVALID_ARGUMENT', `the tree changed while it was being written (at ${JSON.stringify(changed)})`, { path: changed });
    return this.preparer.finish();
  }

  /** Loads `dir` (a promise only when its loader returns one), then lists its sorted children. */
  private enter(dir: DirNode, info: NodeInfo): Promise<void> | undefined {
    const loading = startLoad(dir);
    if (loading !== undefined) return loading.then(() => this.push(dir, info));
    this.push(dir, info);
    return undefined;
  }

  private push(dir: DirNode, info: NodeInfo): void {
    this.stack.push({ children: this.preparer.list(dir, info), info, next: 0 });
  }
}
