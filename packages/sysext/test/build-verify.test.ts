/**
 * buildSysext's read-back check runs on the finished temp file, before the rename: an image that
 * fails it never replaces the target. The failure is injected (a real image does not fail it):
 * the check is replaced by one that fails, once.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Tree } from '@sysext-bakery/squashfs';
import { SysextError, buildSysext } from '@sysext-bakery/sysext';

const checked: string[] = [];
let failNext = false;
vi.mock('../src/verify-sysext.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/verify-sysext.js')>();
  return {
    ...real,
    verifySysextImage: async (path: string, options: { label?: string; name?: string; full?: boolean }) => {
      checked.push(path);
      if (failNext) {
        failNext = false;
        throw new SysextError('VERIFY_FAILED', `${options.label ?? path} failed its read-back check: injected`);
      }
      return real.verifySysextImage(path, options);
    },
  };
});

const work = mkdtempSync(join(tmpdir(), 'build-verify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('buildSysext with an output path', () => {
  it('checks the temp file, then renames it: a failed check leaves the previous image in place', async () => {
    const files = new Tree();
    files.file('usr/bin/app', '#!/bin/sh\necho v1\n', { mode: 0o755 });
    const output = join(work, 'app.raw');

    const first = await buildSysext({ name: 'app', files, output });
    expect(checked.at(-1)).toMatch(/\/\.app\.raw\.tmp-[0-9a-f]+$/); // the temp file, not the target
    const good = readFileSync(output);
    expect(first.sha256).toBe(createHash('sha256').update(good).digest('hex'));
    expect(readdirSync(work)).toEqual(['app.raw']);

    files.file('usr/bin/other', '#!/bin/sh\necho v2\n', { mode: 0o755 });
    failNext = true;
    const error = await buildSysext({ name: 'app', files, output }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SysextError);
    expect(error).toMatchObject({ code: 'VERIFY_FAILED', message: `${output} failed its read-back check: injected` });
    expect(readFileSync(output).equals(good)).toBe(true);
    expect(readdirSync(work)).toEqual(['app.raw']); // no temp file left

    // Without a check (verify: false), the image is renamed at close as before.
    writeFileSync(output, 'old');
    const unchecked = checked.length;
    const plain = await buildSysext({ name: 'app', files, output, verify: false });
    expect(checked.length).toBe(unchecked);
    expect(plain.sha256).toBe(createHash('sha256').update(readFileSync(output)).digest('hex'));
    expect(readdirSync(work)).toEqual(['app.raw']);
  });
});
