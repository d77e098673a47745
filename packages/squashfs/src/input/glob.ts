import { SquashfsError } from '../errors.js';

/**
 * Compiles a glob over tree paths ("usr/bin/kubelet", root = "") into an anchored RegExp.
 *
 * - `*` matches any run of characters within one path component (dot-files included, unlike a shell);
 * - `?` matches one character other than `/`;
 * - `[abc]`, `[a-z]`, `[!abc]` / `[^abc]` match one character of (not of) a set, never `/`;
 * - `{a,b*,c}` matches any of the comma-separated alternatives (within one component, not nested);
 * - `**` as a whole component matches any number of components: `**\/x` matches `x` at any depth,
 *   `a/**\/b` matches `a/b`, `a/x/b`, `a/x/y/b`, and `a/**` matches everything below `a` (not `a` itself);
 *   `**` alone matches every path except the root;
 * - `\` escapes the next character.
 *
 * A leading `/` or `./` is ignored, so `/usr/bin/*` and `usr/bin/*` are the same pattern; a trailing
 * `/` is ignored too. The empty pattern (or `/`, `.`) matches the root only.
 */
export function globToRegExp(pattern: string): RegExp {
  let p = pattern;
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '');
  if (p.endsWith('/') && !p.endsWith('\\/')) p = p.replace(/\/+$/, '');
  if (p === '' || p === '.') return /^$/;
  const parts = p.split('/');
  let re = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '**') {
      // "**" last: one or more components; elsewhere: zero or more components followed by "/".
      re += last ? '[^/]+(?:/[^/]+)*' : '(?:[^/]+/)*';
      continue;
    }
    if (part === '') throw bad(pattern, 'empty path component');
    re += componentToRegExp(part, pattern);
    if (!last) re += '/';
  }
  return new RegExp(`^${re}$`, 'u');
}

function componentToRegExp(part: string, pattern: string): string {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '\\') {
      const next = part[i + 1];
      if (next === undefined) throw bad(pattern, 'trailing backslash');
      re += escapeRegExp(next);
      i++;
    } else if (c === '*') {
      if (part[i + 1] === '*') throw bad(pattern, '"**" must be a whole path component');
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      const end = part.indexOf('}', i);
      if (end < 0) throw bad(pattern, 'unterminated "{"');
      const body = part.slice(i + 1, end);
      if (body.includes('{')) throw bad(pattern, 'nested "{"');
      re += `(?:${body.split(',').map((alt) => (alt === '' ? '' : componentToRegExp(alt, pattern))).join('|')})`;
      i = end;
    } else if (c === '}') {
      throw bad(pattern, 'unmatched "}"');
    } else if (c === '[') {
      const end = classEnd(part, i);
      if (end < 0) throw bad(pattern, 'unterminated "["');
      let body = part.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      let cls = '';
      for (let j = 0; j < body.length; j++) {
        const ch = body[j]!;
        if (ch === '\\' && j + 1 < body.length) {
          cls += escapeClass(body[++j]!);
        } else if (ch === '-' && j > 0 && j < body.length - 1) {
          cls += '-';
        } else {
          cls += escapeClass(ch);
        }
      }
      re += negate ? `[^/${cls}]` : `(?!/)[${cls}]`;
      i = end;
    } else {
      re += escapeRegExp(c);
    }
  }
  return re;
}

/** Index of the "]" closing the class opened at `start`, or -1. A "]" right after "[" or "[!" is literal. */
function classEnd(part: string, start: number): number {
  let j = start + 1;
  if (part[j] === '!' || part[j] === '^') j++;
  if (part[j] === ']') j++;
  for (; j < part.length; j++) {
    if (part[j] === '\\') j++;
    else if (part[j] === ']') return j;
  }
  return -1;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

function bad(pattern: string, why: string): SquashfsError {
  return new SquashfsError('INVALID_ARGUMENT', `invalid glob ${JSON.stringify(pattern)}: ${why}`);
}

/** True when `path` (a tree path, root = "") matches the glob `pattern`. */
export function matchGlob(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}
