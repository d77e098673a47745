import { resolve } from 'node:path';
import { SysextError } from '../errors.js';
import { packImage, parseSourceDateEpoch } from '../pack.js';
import { formatSize, parse, parseBlockSize, parseCompression, parseInteger, type CliIo } from './args.js';
import { Progress } from './progress.js';

export const PACK_HELP = `Usage: bakery pack <dir> <image> [options]
       bakery pack --tar <file.tar[.gz]|-> <image> [options]

Writes a SquashFS image of a directory (or of a tar archive), like
"mksquashfs <dir> <image> -noappend". The image is written to a temp file and renamed at the end.
SOURCE_DATE_EPOCH is honoured as mksquashfs does: it is the mkfs time, and newer mtimes are
clamped to it. Without it (and without --mkfs-time) the mkfs time is the newest mtime in the tree.

Options:
  --compression gzip|zstd|none  (default gzip)
  --level N                gzip 1-9 (default 7), zstd 1-22 (default 14)
  --block-size SIZE        4K .. 1M, a power of two (default 128K)
  --processors N           compress on at most N cores (default: all)
  --all-root               make every file owned by root (uid 0, gid 0)
  --no-fragments           do not pack small files and tails into fragment blocks
  --no-dedup               store identical files more than once
  --no-xattrs              do not store extended attributes
  --no-exports             do not write the NFS export table
  --mkfs-time SECONDS      superblock mkfs time (overrides SOURCE_DATE_EPOCH for it)
  --override "GLOB mode=0755 uid=0 gid=0 mtime=0"  change metadata of matching paths (repeatable)
  --tar                    read a tar archive (optionally gzipped) from a file or "-" (stdin)
  --debug                  print stack traces
`;

export async function runPack(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    compression: { type: 'string' },
    level: { type: 'string' },
    'block-size': { type: 'string' },
    processors: { type: 'string' },
    'all-root': { type: 'boolean' },
    'no-fragments': { type: 'boolean' },
    'no-dedup': { type: 'boolean' },
    'no-xattrs': { type: 'boolean' },
    'no-exports': { type: 'boolean' },
    'mkfs-time': { type: 'string' },
    override: { type: 'string', multiple: true },
    tar: { type: 'boolean' },
  });
  if (values.help === true) {
    io.stdout.write(PACK_HELP);
    return 0;
  }
  if (positionals.length !== 2) throw new SysextError('USAGE', 'pack takes <dir> <image> (bakery pack --help)');
  const [input, output] = positionals as [string, string];
  const compression = parseCompression(values.compression as string | undefined, true);
  const level = parseInteger(values.level as string | undefined, 'level', 1, 22);
  if (level !== undefined && (compression ?? 'gzip') === 'gzip' && level > 9) throw new SysextError('USAGE', `--level ${level}: gzip levels are 1..9`);
  const blockSize = parseBlockSize(values['block-size'] as string | undefined);
  const processors = parseInteger(values.processors as string | undefined, 'processors', 1, 4096);
  const mkfsTime = parseInteger(values['mkfs-time'] as string | undefined, 'mkfs-time', 0, 0xffff_ffff);
  const sourceDateEpoch = parseSourceDateEpoch(io.env.SOURCE_DATE_EPOCH);
  const progress = new Progress(io.stderr);
  try {
    const result = await packImage({
      input: input === '-' ? '-' : resolve(io.cwd, input),
      tar: values.tar === true,
      output: resolve(io.cwd, output),
      ...(compression === undefined ? {} : { compression }),
      ...(level === undefined ? {} : { level }),
      ...(blockSize === undefined ? {} : { blockSize }),
      ...(processors === undefined ? {} : { concurrency: processors }),
      allRoot: values['all-root'] === true,
      fragments: values['no-fragments'] !== true,
      dedup: values['no-dedup'] !== true,
      xattrs: values['no-xattrs'] !== true,
      exports: values['no-exports'] !== true,
      ...(mkfsTime === undefined ? {} : { mkfsTime }),
      ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
      overrides: (values.override as string[] | undefined) ?? [],
      stdin: io.stdin,
      onProgress: (p) => progress.event({ phase: 'encode', label: output, done: p.filesDone, total: p.filesTotal }),
      signal: io.signal,
    });
    progress.clear();
    for (const o of result.unmatchedOverrides) io.stderr.write(`bakery: warning: --override ${JSON.stringify(o)} matched nothing\n`);
    io.stdout.write(`image    ${result.path}\nsize     ${formatSize(result.size)}\nsha256   ${result.sha256}\ninodes   ${result.write.inodes}\n`);
    return 0;
  } finally {
    progress.clear();
  }
}
