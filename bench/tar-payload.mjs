// The `tar` case: `bakery pack --tar <file.tar>` against `tar2sqfs` (squashfs-tools-ng) reading the
// same archive from standard input: the tool `--tar` stands in for. The archive is the small
// payload (many small files) in a plain tar file, written once with GNU tar (pax format, sorted
// names, the files' own mtimes, numeric owners) next to the payload.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Builds (or finds) `<small dir>.tar`; returns the payload with `kind: 'tar'` and `tar` (its path). */
export function buildTar(small, { log }) {
  const tar = `${small.dir}.tar`;
  if (!fs.existsSync(tar)) {
    log(`tar: writing ${tar}`);
    const temp = `${tar}.tmp`;
    execFileSync('tar', ['--sort=name', '--format=pax', '--numeric-owner', '-C', small.dir, '-cf', temp, '.'], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(temp, tar);
  }
  return { ...small, kind: 'tar', tar, tarBytes: fs.statSync(tar).size };
}
