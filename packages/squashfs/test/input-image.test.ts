// End to end: a directory and a tar archive of it → our tree → our writer → unsquashfs/sqfsdiff,
// compared with what mksquashfs makes of the same directory (an oracle we did not write).
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTar, applyOverrides, Tree, writeImageToBytes } from '@sysext-bakery/squashfs';
import { fromDirectory } from '@sysext-bakery/squashfs/node';
import { buildFixture, isRoot, tempDir, xattr } from './input-fixture.js';

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const tools = have('mksquashfs') && have('unsquashfs');
if (!tools) console.warn('input-image: mksquashfs/unsquashfs not installed; these tests are SKIPPED');

let work: string;
let src: string;
let reference: string;

beforeAll(() => {
  if (!tools) return;
  work = tempDir('img');
  src = join(work, 'src');
  buildFixture(src, { devices: true, xattrs: true });
  reference = join(work, 'ref.sqfs');
  execFileSync('mksquashfs', [src, reference, '-noappend', '-no-progress', '-quiet']);
});
afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** `unsquashfs -lln` lines (mode, uid/gid, size, mtime, path[, -> target]), sorted. */
function listing(image: string): string[] {
  const out = execFileSync('unsquashfs', ['-lln', '-d', '', image], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return out
    .split('\n')
    .filter((l) => /^[-dlbcps][rwxsStT-]{9} /.test(l))
    .map((l) => l.replace(/\s+/g, ' '))
    .sort();
}

/** sqfsdiff -T: contents, owners, permissions, timestamps (it does not compare xattrs). */
function sqfsdiff(a: string, b: string): { status: number | null; out: string } {
  const r = spawnSync('sqfsdiff', ['-a', a, '-b', b, '-T'], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** xattrs of every entry, as rdsquashfs (squashfs-tools-ng) reads them: ours vs mksquashfs's image. */
function compareXattrs(image: string, tree: Tree): void {
  if (!have('rdsquashfs')) {
    console.warn('input-image: rdsquashfs missing, xattrs in the image are not compared');
    return;
  }
  const xattrsOf = (img: string, path: string): string => execFileSync('rdsquashfs', ['-x', `/${path}`, img], { encoding: 'latin1' });
  let withXattrs = 0;
  for (const [path] of tree.walk()) {
    const theirs = xattrsOf(reference, path);
    expect(xattrsOf(image, path), path).toBe(theirs);
    if (theirs !== '') withXattrs++;
  }
  if (xattr !== undefined) expect(withXattrs).toBeGreaterThanOrEqual(2);
}

describe.skipIf(!tools)('images written from imported trees match mksquashfs of the same directory', () => {
  it('fromDirectory → writeImage', async () => {
    const tree = await fromDirectory(src);
    const image = join(work, 'dir.sqfs');
    writeFileSync(image, await writeImageToBytes(tree));
    const ours = listing(image);
    const theirs = listing(reference);
    expect(ours.length).toBeGreaterThan(20);
    expect(ours).toEqual(theirs);
    if (have('sqfsdiff')) {
      const diff = sqfsdiff(reference, image);
      expect(diff.out).toBe('');
      expect(diff.status).toBe(0);
    }
    compareXattrs(image, tree);
    if (xattr !== undefined) {
      // unsquashfs extracts the xattrs back; compare one binary value.
      const out = join(work, 'x-out');
      execFileSync('unsquashfs', ['-d', out, '-no-progress', image, 'usr/bin/tool']);
      expect(Buffer.from(xattr.getAttributeSync(join(out, 'usr/bin/tool'), 'trusted.overlay') ?? [])).toEqual(Buffer.from([0, 1, 2, 255]));
    }
    if (!isRoot) console.warn('input-image: not root, the fixture has no devices');
  });

  it('fromTar (pax, xattrs, gzip) → writeImage', async () => {
    const archive = join(work, 'src.tgz');
    execFileSync('tar', ['-C', src, '-czf', archive, '--format=pax', '--xattrs', '--xattrs-include=*', '.']);
    const tree = new Tree();
    await addTar(tree, createReadStream(archive), { rootFromArchive: true });
    // A tar cannot hold sockets; the fixture has none in this test. Everything else must match.
    const image = join(work, 'tar.sqfs');
    writeFileSync(image, await writeImageToBytes(tree));
    expect(listing(image)).toEqual(listing(reference));
    compareXattrs(image, tree);
    if (have('sqfsdiff')) {
      const diff = sqfsdiff(reference, image);
      expect(diff.out).toBe('');
      expect(diff.status).toBe(0);
    }
  });

  it('overrides show up in the image', async () => {
    const tree = await fromDirectory(src, { allRoot: true });
    applyOverrides(tree, [{ pattern: 'usr/bin/*', type: 'file', mode: 0o700 }]);
    const image = join(work, 'ovr.sqfs');
    writeFileSync(image, await writeImageToBytes(tree));
    const lines = listing(image);
    const tool = lines.find((l) => l.endsWith(' /usr/bin/tool'));
    expect(tool).toMatch(/^-rwx------ 0\/0 200000 /);
    expect(lines.every((l) => / 0\/0 /.test(l))).toBe(true);
  });
});
