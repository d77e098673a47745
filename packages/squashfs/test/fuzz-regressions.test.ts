/**
 * Named regressions: every problem the reader fuzzer found, replayed on the committed seed images.
 * Each must end in success or a SquashfsError, and verifyImage must flag it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SquashfsImage, sourceFromBytes } from '@sysext-bakery/squashfs';
import { SEED_DIR, exercise, verifySafely } from './fuzz/harness.js';

const seed = (name: string) => new Uint8Array(readFileSync(`${SEED_DIR}${name}.sqfs`));

/** Replaces the first occurrence of `from` inside the directory table with `to`. */
async function patchName(bytes: Uint8Array, from: string, to: string): Promise<Uint8Array> {
  const img = await SquashfsImage.open(sourceFromBytes(bytes));
  const { start, end } = img.layout.directoryTable;
  const needle = Buffer.from(from);
  const at = Buffer.from(bytes.subarray(start, end)).indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  const out = bytes.slice();
  out.set(Buffer.from(to), start + at);
  return out;
}

describe('fuzz regressions', () => {
  it('#1 duplicate names in a directory: walk reported one inode, readFile(path) read another', async () => {
    // Found by fuzz-reader (bit flips turned one name into its neighbour): the walk stat'ed the
    // second "n000" (3 bytes) while path lookup found the first (0 bytes). Duplicates are now
    // CORRUPT_IMAGE in the directory parser, as unsquashfs >= 4.5.1 does.
    const bytes = await patchName(seed('mksquashfs-uncompressed'), 'n001', 'n000');
    const outcome = await exercise(bytes);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error.code).toBe('CORRUPT_IMAGE');
      expect(outcome.error.structure).toBe('directory table');
      expect(outcome.error.message).toMatch(/duplicate name "n000"/);
    }
    expect((await verifySafely(bytes)).ok).toBe(false);
  });
});
