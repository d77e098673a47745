/** Parsers for unsquashfs output: `-lln` listings and `-pf` pseudo files. */

export interface LlnEntry {
  /** ls-style type letter: d - l b c p s. */
  type: string;
  /** The nine permission characters (e.g. "rwsr-xr-t"). */
  perms: string;
  uid: number;
  gid: number;
  /** Files and symlinks: size; directories: on-disk listing size. */
  size?: number;
  major?: number;
  minor?: number;
  /** "YYYY-MM-DD HH:MM" as printed (use TZ=UTC). */
  time: string;
  /** Path below the root, "" for the root itself. */
  path: string;
  /** For symlinks: everything after " -> " (ambiguous if the name itself contains " -> "). */
  rest?: string;
}

const LLN = /^([-dlbcps])(\S{9}) (\d+)\/(\d+) +(?:(\d+)|(-?\d+), *(-?\d+)) (\d{4,}-\d\d-\d\d \d\d:\d\d) (.*)$/;

/**
 * Parses `unsquashfs -lln -UTC` output. `prefix` is the root name unsquashfs prints
 * ("squashfs-root" by default). Symlink lines keep " -> target" in `rest` and the raw
 * remainder in `path` until resolved with `resolveSymlinkLine`.
 */
export function parseLln(text: string, prefix = 'squashfs-root'): LlnEntry[] {
  const out: LlnEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = LLN.exec(line);
    if (m === null) continue; // progress bars and notes
    const [, type, perms, uid, gid, size, major, minor, time, name] = m;
    let path = name!;
    if (path === prefix) path = '';
    else if (path.startsWith(`${prefix}/`)) path = path.slice(prefix.length + 1);
    else continue;
    const entry: LlnEntry = { type: type!, perms: perms!, uid: Number(uid), gid: Number(gid), time: time!, path };
    if (size !== undefined) entry.size = Number(size);
    if (major !== undefined) {
      entry.major = Number(major);
      entry.minor = Number(minor);
    }
    out.push(entry);
  }
  return out;
}

/** Splits a symlink's "name -> target" using the set of known paths to resolve " -> " inside names. */
export function resolveSymlinkLine(raw: string, isKnownPath: (path: string) => boolean): { path: string; target: string } | undefined {
  let from = 0;
  for (;;) {
    const at = raw.indexOf(' -> ', from);
    if (at < 0) return undefined;
    const path = raw.slice(0, at);
    if (isKnownPath(path)) return { path, target: raw.slice(at + 4) };
    from = at + 1;
  }
}

/** One line of `unsquashfs -pf` (squashfs-tools 4.5 pseudo file). */
export interface PseudoEntry {
  path: string;
  /** D R S L B C I (I = fifo or socket, told by `ipcType`). */
  type: string;
  mtime?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  /** R: size and offset into the data section. */
  size?: number;
  offset?: number;
  /** S: symlink target; L: the path this is a hard link to. */
  target?: string;
  major?: number;
  minor?: number;
  /** I: 'f' (fifo) or 's' (socket). */
  ipcType?: string;
}

function readEscaped(line: string): { value: string; end: number } {
  let value = '';
  let i = 0;
  for (; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      value += line[++i]!;
      continue;
    }
    if (ch === ' ') break;
    value += ch;
  }
  return { value, end: i };
}

/** Parses the definition part of an `unsquashfs -pf` file (stops at the data section). */
export function parsePseudoFile(text: string): PseudoEntry[] {
  const out: PseudoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) break;
    if (line === '') continue;
    const { value, end } = readEscaped(line);
    const path = value === '/' ? '' : value.replace(/^\/+/, '');
    const rest = line.slice(end + 1);
    const fields = rest.split(' ');
    const type = fields[0]!;
    if (type === 'L') {
      // The link target is escaped like a path.
      const target = readEscaped(rest.slice(2)).value;
      out.push({ path, type, target: target.replace(/^\/+/, '') });
      continue;
    }
    const e: PseudoEntry = {
      path,
      type,
      mtime: Number(fields[1]),
      mode: parseInt(fields[2]!, 8),
      // unsquashfs 4.5 prints ids as signed 32-bit numbers.
      uid: Number(fields[3]) >>> 0,
      gid: Number(fields[4]) >>> 0,
    };
    if (type === 'R') {
      e.size = Number(fields[5]);
      e.offset = Number(fields[6]);
    } else if (type === 'S') {
      e.target = fields.slice(5).join(' ');
    } else if (type === 'B' || type === 'C') {
      e.major = Number(fields[5]);
      e.minor = Number(fields[6]);
    } else if (type === 'I') {
      e.ipcType = fields[5];
    }
    out.push(e);
  }
  return out;
}

/** Byte offset where the data section of a `-pf` file starts. */
export function pseudoDataStart(buf: Uint8Array): number {
  const marker = Buffer.from('# START OF DATA - DO NOT MODIFY\n#\n');
  const at = Buffer.from(buf.buffer, buf.byteOffset, buf.length).indexOf(marker);
  return at < 0 ? -1 : at + marker.length;
}
