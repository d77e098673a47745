import { createHash } from 'node:crypto';
import { SquashfsImage } from '../../reader/index.js';
import { fileImageSource } from '../../node/extract.js';
import { contentDigest } from '../expected.js';
import { FULL_COMPARE_LIMIT, expectedSamples, samplesEqual, samplesFromChunks } from '../samples.js';
import { DiffCollector, type OracleResult } from '../report.js';
import type { OracleContext } from './context.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** This package's own reader (SquashfsImage): walk order, every stat field, xattrs, data. */
export async function readerOracle(ctx: OracleContext): Promise<OracleResult> {
  const diff = new DiffCollector('reader');
  let image: SquashfsImage;
  try {
    image = await SquashfsImage.open(await fileImageSource(ctx.imagePath));
  } catch (error) {
    diff.add(undefined, `open failed: ${String(error)}`);
    return diff.result();
  }
  try {
    const byPath = new Map(ctx.expected.map((e) => [e.path, e] as const));
    const inodeOf = new Map<number, number>();
    const identityOf = new Map<number, number>();
    let index = 0;
    for await (const st of image.walk()) {
      const e = byPath.get(st.path);
      const want = ctx.expected[index++];
      if (want !== undefined && want.path !== st.path) diff.add(st.path, `walk order: got ${JSON.stringify(st.path)} where ${JSON.stringify(want.path)} was expected`);
      if (e === undefined) {
        diff.add(st.path, 'unexpected entry');
        continue;
      }
      diff.same(e.path, 'type', e.kind, st.kind);
      if (e.kind !== 'symlink') diff.same(e.path, 'mode', `0${e.mode.toString(8)}`, `0${st.mode.toString(8)}`);
      diff.same(e.path, 'uid', e.uid, st.uid);
      diff.same(e.path, 'gid', e.gid, st.gid);
      diff.same(e.path, 'mtime', e.mtime, st.mtime);
      diff.same(e.path, 'nlink', e.nlink, st.nlink);
      if (e.kind === 'file' || e.kind === 'symlink') diff.same(e.path, 'size', e.size, st.size);
      if (e.kind === 'symlink') diff.same(e.path, 'target', e.target, st.target);
      if (e.kind === 'blockdev' || e.kind === 'chardev') diff.same(e.path, 'device', `${e.major}:${e.minor}`, `${st.major}:${st.minor}`);
      const seen = inodeOf.get(e.identity);
      if (seen === undefined) {
        inodeOf.set(e.identity, st.inodeNumber);
        if (identityOf.has(st.inodeNumber)) diff.add(e.path, `inode number ${st.inodeNumber} reused by an unrelated entry`);
        identityOf.set(st.inodeNumber, e.identity);
      } else if (seen !== st.inodeNumber) diff.add(e.path, `hard link but inode number ${st.inodeNumber} ≠ ${seen}`);
      for (const [k, v] of e.xattrs) {
        const g = st.xattrs.get(k);
        if (g === undefined) diff.add(e.path, `xattr ${k} missing`);
        else if (!sameBytes(v, g)) diff.add(e.path, `xattr ${k} differs`);
      }
      for (const k of st.xattrs.keys()) if (!e.xattrs.has(k)) diff.add(e.path, `unexpected xattr ${k}`);
      if (e.kind === 'file' && e.node.kind === 'file' && st.kind === 'file' && e.size !== undefined && e.size > FULL_COMPARE_LIMIT && st.size === e.size) {
        try {
          const [want, got] = await Promise.all([expectedSamples(e.node.content, e.size), samplesFromChunks(image.createReadStream(st.path), e.size)]);
          if (got.total !== e.size) diff.add(e.path, `read ${got.total} bytes, expected ${e.size}`);
          else if (!samplesEqual(want.samples, got.samples)) diff.add(e.path, 'content differs (sampled start/middle/end)');
        } catch (error) {
          diff.add(e.path, `read failed: ${String(error)}`);
        }
      } else if (e.kind === 'file' && e.node.kind === 'file' && st.kind === 'file') {
        const hash = createHash('sha256');
        let size = 0;
        try {
          for await (const chunk of image.createReadStream(st.path)) {
            hash.update(chunk);
            size += chunk.length;
          }
          const wantDigest = await contentDigest(e.node.content);
          if (wantDigest.sha256 !== hash.digest('hex')) diff.add(e.path, `content differs (${size} bytes read)`);
        } catch (error) {
          diff.add(e.path, `read failed: ${String(error)}`);
        }
      }
    }
    if (index !== ctx.expected.length) diff.add(undefined, `walk yielded ${index} entries, the tree has ${ctx.expected.length}`);
  } catch (error) {
    diff.add(undefined, `reader failed: ${String(error)}`);
  } finally {
    await image.close();
  }
  return diff.result();
}
