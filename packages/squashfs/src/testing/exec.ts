import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Bytes of stdout kept (default 256 MiB); more is an error. */
  maxStdout?: number;
  /** Extra environment (TZ=UTC and LC_ALL=C.UTF-8 are always set). */
  env?: Record<string, string>;
  input?: Uint8Array;
}

/** Runs a command without a shell; never throws for a non-zero exit (spawn errors become code null). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const max = options.maxStdout ?? 256 * 1024 * 1024;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let overflow = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > max) {
        overflow = true;
        child.kill('SIGKILL');
      } else out.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on('error', (e) => resolve({ code: null, signal: null, stdout: Buffer.alloc(0), stderr: String(e) }));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8') + (overflow ? `\n[stdout over ${max} bytes, killed]` : '');
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
}

const whichCache = new Map<string, Promise<string | undefined>>();

/** Absolute path of an executable on PATH, or undefined. */
export function which(tool: string): Promise<string | undefined> {
  let hit = whichCache.get(tool);
  if (hit === undefined) {
    hit = (async () => {
      for (const dir of (process.env.PATH ?? '').split(delimiter)) {
        if (dir === '') continue;
        const candidate = join(dir, tool);
        try {
          await access(candidate, constants.X_OK);
          return candidate;
        } catch {
          // not here
        }
      }
      return undefined;
    })();
    whichCache.set(tool, hit);
  }
  return hit;
}

/** Short description of a failed run for reports. */
export function describeRun(command: string, args: readonly string[], result: RunResult): string {
  const status = result.code === null ? `signal ${result.signal ?? 'spawn error'}` : `exit ${result.code}`;
  const tail = result.stderr.trim().split('\n').slice(-8).join('\n');
  return `${command} ${args.join(' ')} → ${status}${tail === '' ? '' : `: ${tail}`}`;
}
