import { resolve } from 'node:path';
import { SysextError } from '../errors.js';
import { formatSysextCheck, inspectSysextImage } from '../inspect.js';
import { verifyImageFile } from '../reader.js';
import { checkSysextImage, formatProblems } from '../verify-sysext.js';
import { parse, type CliIo } from './args.js';

export const INSPECT_HELP = `Usage: bakery inspect <image> [--json]

Prints the superblock summary and every entry (type, mode, owner, size, mtime, link target), like
"unsquashfs -s" plus "unsquashfs -lln". On a sysext image it also prints and checks the
extension-release file (exit status 1 when systemd-sysext would refuse the image).

Options:
  --json     machine-readable output
  --debug    print stack traces
`;

export const VERIFY_HELP = `Usage: bakery verify <image> [--sysext] [--name NAME]

Reads the whole image and checks its consistency: superblock, tables, every inode, directory and
data block. Exits 0 when it is sound, 1 with a message naming the first problem.

Options:
  --sysext      also check it as a sysext (extension-release file, forbidden content)
  --name NAME   with --sysext: the name it will be merged under (extension-release.NAME)
  --debug       print stack traces
`;

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

export async function runInspect(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (values.help === true) {
    io.stdout.write(INSPECT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new SysextError('USAGE', 'inspect takes one <image> (bakery inspect --help)');
  const report = await inspectSysextImage(resolve(io.cwd, positionals[0]!));
  if (values.json === true) io.stdout.write(`${JSON.stringify({ image: report.image, sysext: report.sysext }, jsonReplacer, 2)}\n`);
  else {
    io.stdout.write(report.text.endsWith('\n') ? report.text : `${report.text}\n`);
    if (report.sysext !== undefined) io.stdout.write(formatSysextCheck(report.sysext));
  }
  return report.sysext !== undefined && report.sysext.errors.length > 0 ? 1 : 0;
}

export async function runVerify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { sysext: { type: 'boolean' }, name: { type: 'string' } });
  if (values.help === true) {
    io.stdout.write(VERIFY_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new SysextError('USAGE', 'verify takes one <image> (bakery verify --help)');
  const path = resolve(io.cwd, positionals[0]!);
  const report = await verifyImageFile(path);
  if (!report.ok) throw new SysextError('VERIFY_FAILED', `${positionals[0]}: ${formatProblems(report.problems)}`);
  if (values.sysext === true) {
    const check = await checkSysextImage(path, typeof values.name === 'string' ? { expectName: values.name } : {});
    if (check.errors.length > 0) throw new SysextError('VERIFY_FAILED', `${positionals[0]}: ${check.errors.join('; ')}`);
  }
  io.stdout.write(`${positionals[0]}: OK\n`);
  return 0;
}
