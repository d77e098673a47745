import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SysextError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Everything a verb needs from the outside world (tests pass their own). */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  signal: AbortSignal;
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function parse(args: string[], options: Options): { values: Values; positionals: string[] } {
  const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } }, allowPositionals: true, strict: true });
  return { values: values as Values, positionals };
}

/** `true|false` values as the bakery takes them (`--sysupdate true`). */
export function parseBool(value: string | boolean | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  const v = value.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw new SysextError('USAGE', `--${flag} takes true or false, not ${JSON.stringify(value)}`);
}

export function parseInteger(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SysextError('USAGE', `--${flag} takes a whole number in ${min}..${max}, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}

const SIZE_RE = /^(\d+)([kKmM])?$/;

/** `128K`, `1M`, `4096`: a block size. */
export function parseBlockSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = SIZE_RE.exec(value);
  const n = m === null ? NaN : Number(m[1]) * (m[2] === undefined ? 1 : /[kK]/.test(m[2]) ? 1024 : 1048576);
  if (!Number.isInteger(n) || n < 4096 || n > 1048576 || (n & (n - 1)) !== 0) {
    throw new SysextError('USAGE', `--block-size takes a power of two from 4K to 1M, not ${JSON.stringify(value)}`);
  }
  return n;
}

export function parseCompression(value: string | undefined, allowNone: boolean): 'gzip' | 'zstd' | 'none' | undefined {
  if (value === undefined) return undefined;
  const allowed = allowNone ? ['gzip', 'zstd', 'none'] : ['gzip', 'zstd'];
  if (!allowed.includes(value)) throw new SysextError('USAGE', `--compression takes ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value as 'gzip' | 'zstd' | 'none';
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text);
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]} (${bytes} bytes)`;
}
