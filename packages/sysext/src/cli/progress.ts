import type { ProgressEvent } from '../recipes/recipe.js';

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/**
 * One updating status line on a terminal (stderr); silent when stderr is not a TTY, so logs and
 * pipes only get the final summary.
 */
export class Progress {
  private readonly stream: NodeJS.WriteStream;
  readonly enabled: boolean;
  private last = 0;
  private shown = false;
  private readonly downloads = new Map<string, { done: number; total?: number }>();

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true) {
    this.stream = stream;
    this.enabled = enabled;
  }

  event(e: ProgressEvent): void {
    if (!this.enabled) return;
    let line: string;
    if (e.phase === 'download') {
      this.downloads.set(e.label, { done: e.done ?? 0, ...(e.total === undefined ? {} : { total: e.total }) });
      let done = 0;
      let total = 0;
      for (const d of this.downloads.values()) {
        done += d.done;
        total += d.total ?? d.done;
      }
      line = `downloading ${this.downloads.size} artifact(s): ${mib(done)} / ${mib(total)}`;
    } else if (e.phase === 'encode') {
      line = `compressing ${e.label}: ${e.done ?? 0}/${e.total ?? '?'} files`;
    } else {
      line = `${e.phase} ${e.label}`;
    }
    const now = Date.now();
    const final = e.done !== undefined && e.total !== undefined && e.done >= e.total;
    if (!final && now - this.last < 100) return;
    this.last = now;
    const width = (this.stream.columns ?? 80) - 1;
    this.stream.write(`\r\x1b[K${line.slice(0, width)}`);
    this.shown = true;
  }

  /** A message line (kept above the status line). */
  log(message: string): void {
    if (!this.enabled) return;
    this.clear();
    this.stream.write(`${message}\n`);
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
