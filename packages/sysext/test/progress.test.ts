import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Progress } from '../src/cli/progress.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = new Writable({
    write(chunk, _enc, cb) {
      s.text += String(chunk);
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { text: string };
  s.text = '';
  Object.assign(s, { isTTY, columns: 60 });
  return s;
}

describe('Progress', () => {
  it('draws one updating line on a terminal and clears it', async () => {
    const s = fakeStream(true);
    const p = new Progress(s);
    p.event({ phase: 'download', label: 'kubelet v1', done: 1048576, total: 2097152 });
    p.log('kubelet verified');
    p.event({ phase: 'encode', label: 'x.raw', done: 3, total: 3 });
    p.clear();
    expect(s.text).toBe('\r\x1b[Kdownloading 1 artifact(s): 1.0 MiB / 2.0 MiB\r\x1b[Kkubelet verified\n\r\x1b[Kcompressing x.raw: 3/3 files\r\x1b[K');
  });

  it('is silent when not a terminal', () => {
    const s = fakeStream(false);
    const p = new Progress(s);
    p.event({ phase: 'download', label: 'kubelet', done: 1, total: 2 });
    p.log('x');
    p.clear();
    expect(s.text).toBe('');
  });
});
