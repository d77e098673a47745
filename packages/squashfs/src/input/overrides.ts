import { SquashfsError } from '../errors.js';
import type { DirNode, FsNodeKind } from '../tree/node.js';
import { Tree, walkTree } from '../tree/tree.js';
import { globToRegExp } from './glob.js';

/** Node kinds an override can be limited to. */
export const OVERRIDE_TYPES = ['file', 'dir', 'symlink', 'blockdev', 'chardev', 'fifo', 'socket'] as const satisfies readonly FsNodeKind[];

/**
 * One metadata override, what a mksquashfs pseudo "m" (modify) definition does, but over globs.
 * Every field but `pattern` is optional; only the given fields change.
 */
export interface OverrideRule {
  /** Glob over tree paths (see {@link globToRegExp}): `usr/bin/*`, `**\/*.sh`, `etc/[ab]*`; `""` or `/` is the root. */
  pattern: string;
  /** Permission bits 0..0o7777 (setuid/setgid/sticky included). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch, 0..2^32-1. */
  mtime?: number;
  /** Only nodes of these kinds match (default: every kind). */
  type?: FsNodeKind | readonly FsNodeKind[];
}

/** What {@link applyOverrides} did: `matched[i]` = how many paths rule i matched (0 = probably a typo). */
export interface OverrideResult {
  matched: number[];
}

const U32_MAX = 0xffff_ffff;

/** Checks a rule and throws INVALID_ARGUMENT naming it when a field is out of range. */
export function validateOverride(rule: OverrideRule, text = describeRule(rule)): void {
  const fail = (why: string): never => {
    throw new SquashfsError('INVALID_ARGUMENT', `invalid override ${JSON.stringify(text)}: ${why}`);
  };
  if (typeof rule.pattern !== 'string') fail('pattern is not a string');
  if (rule.mode !== undefined && (!Number.isInteger(rule.mode) || rule.mode < 0 || rule.mode > 0o7777)) fail(`mode ${rule.mode} is not in 0..0o7777`);
  for (const key of ['uid', 'gid', 'mtime'] as const) {
    const v = rule[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > U32_MAX)) fail(`${key} ${v} is not an integer in 0..${U32_MAX}`);
  }
  if (rule.type !== undefined) {
    const types: readonly string[] = typeof rule.type === 'string' ? [rule.type] : rule.type;
    for (const t of types) if (!(OVERRIDE_TYPES as readonly string[]).includes(t)) fail(`unknown type ${JSON.stringify(t)}`);
  }
  try {
    globToRegExp(rule.pattern);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Applies metadata overrides to every matching path of a tree, rules in order (a later rule wins
 * over an earlier one for the fields it sets). Paths are relative, "/"-separated, the root is "".
 *
 * A hard-linked node has one set of metadata: a rule matching any of its paths changes all of them.
 */
export function applyOverrides(tree: Tree | DirNode, rules: readonly OverrideRule[]): OverrideResult {
  const root = tree instanceof Tree ? tree.root : tree;
  const compiled = rules.map((rule) => {
    validateOverride(rule);
    const types = rule.type === undefined ? undefined : new Set<string>(typeof rule.type === 'string' ? [rule.type] : rule.type);
    return { rule, re: globToRegExp(rule.pattern), types };
  });
  const matched = rules.map(() => 0);
  for (const [path, node] of walkTree(root)) {
    compiled.forEach(({ rule, re, types }, i) => {
      if (types !== undefined && !types.has(node.kind)) return;
      if (!re.test(path)) return;
      matched[i]!++;
      node.meta = {
        ...node.meta,
        ...(rule.mode === undefined ? {} : { mode: rule.mode }),
        ...(rule.uid === undefined ? {} : { uid: rule.uid }),
        ...(rule.gid === undefined ? {} : { gid: rule.gid }),
        ...(rule.mtime === undefined ? {} : { mtime: rule.mtime }),
      };
    });
  }
  return { matched };
}

const TYPE_LETTERS: Record<string, FsNodeKind> = { f: 'file', d: 'dir', l: 'symlink', b: 'blockdev', c: 'chardev', p: 'fifo', s: 'socket' };

/**
 * Parses one override from text. Three spellings:
 *
 * 1. `PATTERN key=value ...` with keys `mode` (octal: `0755`, `755`), `uid`, `gid`, `mtime`
 *    (decimal seconds) and `type` (comma-separated kinds `file,dir,symlink,blockdev,chardev,fifo,socket`
 *    or find(1) letters `f,d,l,b,c,p,s`):
 *    `usr/bin/* mode=0755 uid=0 gid=0`, `** type=dir mode=0755`.
 * 2. chmod shorthand `MODE:PATTERN`: `0755:usr/bin/*`.
 * 3. mksquashfs pseudo modify `PATTERN m MODE UID GID` (numeric ids): `usr/bin/kubelet m 755 0 0`.
 *
 * A pattern containing spaces is written in double quotes (`"my dir/*" mode=0700`, `\"` and `\\`
 * escape inside). Throws INVALID_ARGUMENT naming the rule text.
 */
export function parseOverride(text: string): OverrideRule {
  const fail = (why: string): never => {
    throw new SquashfsError('INVALID_ARGUMENT', `invalid override ${JSON.stringify(text)}: ${why}`);
  };
  const trimmed = text.trim();
  if (trimmed === '') fail('empty rule');
  const short = /^([0-7]{1,4}):(.*)$/s.exec(trimmed);
  if (short !== null && !/\s/.test(short[2]!.trim())) {
    const rule: OverrideRule = { pattern: short[2]!.trim(), mode: parseInt(short[1]!, 8) };
    validateOverride(rule, text);
    return rule;
  }
  const tokens = tokenize(trimmed, fail);
  const pattern = tokens.shift()!;
  const rule: OverrideRule = { pattern };
  if (tokens[0] === 'm' && tokens.length === 4 && tokens.every((t) => !t.includes('='))) {
    rule.mode = parseOctal(tokens[1]!, fail);
    rule.uid = parseDecimal(tokens[2]!, 'uid', fail);
    rule.gid = parseDecimal(tokens[3]!, 'gid', fail);
  } else {
    if (tokens.length === 0) fail('no attribute to set (expected key=value after the pattern)');
    const seen = new Set<string>();
    for (const token of tokens) {
      const eq = token.indexOf('=');
      if (eq <= 0) fail(`expected key=value, got ${JSON.stringify(token)}`);
      const key = token.slice(0, eq);
      const value = token.slice(eq + 1);
      if (seen.has(key)) fail(`${key} given twice`);
      seen.add(key);
      switch (key) {
        case 'mode':
          rule.mode = parseOctal(value, fail);
          break;
        case 'uid':
        case 'gid':
        case 'mtime':
          rule[key] = parseDecimal(value, key, fail);
          break;
        case 'type':
          rule.type = value.split(',').map((t) => {
            const kind = TYPE_LETTERS[t] ?? t;
            if (!(OVERRIDE_TYPES as readonly string[]).includes(kind)) fail(`unknown type ${JSON.stringify(t)}`);
            return kind as FsNodeKind;
          });
          break;
        default:
          fail(`unknown key ${JSON.stringify(key)} (expected mode, uid, gid, mtime or type)`);
      }
    }
  }
  validateOverride(rule, text);
  return rule;
}

/**
 * Parses a rules file: one {@link parseOverride} rule per line; blank lines and lines starting
 * with `#` are ignored. Errors name the line number.
 */
export function parseOverrides(text: string): OverrideRule[] {
  const rules: OverrideRule[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    try {
      rules.push(parseOverride(t));
    } catch (e) {
      if (e instanceof SquashfsError) throw new SquashfsError(e.code, `line ${i + 1}: ${e.message}`, { cause: e });
      throw e;
    }
  });
  return rules;
}

function tokenize(text: string, fail: (why: string) => never): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let token = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated quote');
        const c = text[i]!;
        if (c === '"') break;
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          token += text[i + 1];
          i += 2;
        } else {
          token += c;
          i++;
        }
      }
      i++;
      if (i < text.length && !/\s/.test(text[i]!)) fail('a quoted pattern must be followed by a space');
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) token += text[i++];
    }
    tokens.push(token);
  }
  return tokens;
}

function parseOctal(value: string, fail: (why: string) => never): number {
  if (!/^[0-7]{1,5}$/.test(value)) fail(`mode ${JSON.stringify(value)} is not an octal number`);
  return parseInt(value, 8);
}

function parseDecimal(value: string, key: string, fail: (why: string) => never): number {
  if (!/^[0-9]+$/.test(value)) fail(`${key} ${JSON.stringify(value)} is not a decimal number`);
  return Number(value);
}

function describeRule(rule: OverrideRule): string {
  const parts = [rule.pattern];
  if (rule.mode !== undefined) parts.push(`mode=${Number(rule.mode).toString(8)}`);
  for (const key of ['uid', 'gid', 'mtime'] as const) if (rule[key] !== undefined) parts.push(`${key}=${rule[key]}`);
  if (rule.type !== undefined) parts.push(`type=${typeof rule.type === 'string' ? rule.type : rule.type.join(',')}`);
  return parts.join(' ');
}
