import { run, which } from './exec.js';

/** Reads and writes xattrs on the host (never following symlinks). */
export interface XattrIo {
  readonly via: string;
  list(path: string): Promise<Map<string, Uint8Array>>;
  set(path: string, name: string, value: Uint8Array): Promise<void>;
}

interface NapiXattr {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Buffer | null;
  setAttributeSync(path: string, name: string, value: Uint8Array | string): void;
}

let cached: Promise<XattrIo | undefined> | undefined;

/** The best available xattr access: @napi-rs/xattr, else getfattr/setfattr; undefined if neither. */
export function xattrIo(): Promise<XattrIo | undefined> {
  cached ??= (async () => {
    try {
      const mod = (await import('@napi-rs/xattr')) as unknown as NapiXattr & { default?: NapiXattr };
      const x = typeof mod.listAttributesSync === 'function' ? mod : mod.default!;
      return {
        via: '@napi-rs/xattr',
        async list(path: string) {
          const out = new Map<string, Uint8Array>();
          for (const name of x.listAttributesSync(path)) {
            const v = x.getAttributeSync(path, name);
            if (v !== null) out.set(name, new Uint8Array(v));
          }
          return out;
        },
        async set(path: string, name: string, value: Uint8Array) {
          x.setAttributeSync(path, name, value);
        },
      } satisfies XattrIo;
    } catch {
      // fall back to the attr tools
    }
    const getfattr = await which('getfattr');
    const setfattr = await which('setfattr');
    if (getfattr === undefined || setfattr === undefined) return undefined;
    return {
      via: 'getfattr/setfattr',
      async list(path: string) {
        const r = await run(getfattr, ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', path]);
        if (r.code !== 0) throw new Error(`getfattr ${path}: ${r.stderr.trim()}`);
        return parseGetfattrHex(r.stdout.toString('utf8'));
      },
      async set(path: string, name: string, value: Uint8Array) {
        const hex = `0x${Buffer.from(value).toString('hex')}`;
        const r = await run(setfattr, ['-h', '-n', name, '-v', value.length === 0 ? '""' : hex, path]);
        if (r.code !== 0) throw new Error(`setfattr ${name} on ${path}: ${r.stderr.trim()}`);
      },
    } satisfies XattrIo;
  })();
  return cached;
}

/** Parses `getfattr -d -m - -e hex` output (one file). */
export function parseGetfattrHex(text: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      out.set(line, new Uint8Array(0));
      continue;
    }
    const name = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (value.startsWith('0x')) out.set(name, new Uint8Array(Buffer.from(value.slice(2), 'hex')));
    else if (value.startsWith('"')) out.set(name, new Uint8Array(Buffer.from(value.slice(1, -1), 'utf8')));
    else out.set(name, new Uint8Array(Buffer.from(value, 'utf8')));
  }
  return out;
}
