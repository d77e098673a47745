import { Tree, walkTree } from '../tree/tree.js';
import type { DirNode, FsNode } from '../tree/node.js';
import { KIND_LETTER } from './expected.js';
import { specOf } from './pattern-content.js';

function xattrText(node: FsNode): string {
  if (node.meta.xattrs.size === 0) return '';
  const parts = [...node.meta.xattrs].map(([k, v]) => `${k}=${v.length > 16 ? `${Buffer.from(v.subarray(0, 16)).toString('hex')}…(${v.length}B)` : Buffer.from(v).toString('hex')}`);
  return ` xattrs{${parts.join(', ')}}`;
}

/**
 * A readable listing of a tree, one line per path (the form fast-check prints for a failing
 * `arbTree` case): type, mode, uid:gid, mtime, path, and size/pattern, target or device.
 */
export function describeTree(tree: Tree | DirNode): string {
  const root = tree instanceof Tree ? tree.root : tree;
  const first = new Map<FsNode, string>();
  const lines: string[] = [];
  for (const [path, node] of walkTree(root)) {
    const shown = JSON.stringify(path === '' ? '/' : path);
    const seen = first.get(node);
    if (seen !== undefined) {
      lines.push(`h ${shown} => ${JSON.stringify(seen)}`);
      continue;
    }
    first.set(node, path);
    const m = node.meta;
    let extra = '';
    if (node.kind === 'file') {
      const spec = specOf(node.content);
      extra = ` size=${node.content.size ?? '?'}${spec === undefined ? '' : ` blocks=${spec.blocks.join('+')}/${spec.blockSize} seed=${spec.seed} chunk=${spec.chunkSize}${spec.inMemory ? ' mem' : ''}`}`;
    } else if (node.kind === 'symlink') {
      extra = ` -> ${node.target.length > 60 ? `${JSON.stringify(node.target.slice(0, 60))}…(${node.target.length} chars)` : JSON.stringify(node.target)}`;
    } else if (node.kind === 'blockdev' || node.kind === 'chardev') {
      extra = ` dev=${node.major}:${node.minor}`;
    }
    lines.push(`${KIND_LETTER[node.kind]} 0${m.mode.toString(8)} ${m.uid}:${m.gid} t=${m.mtime} ${shown}${extra}${xattrText(node)}`);
  }
  return `Tree[\n  ${lines.join('\n  ')}\n]`;
}
