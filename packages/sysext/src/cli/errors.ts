import { KubernetesError } from '@sysext-bakery/kubernetes/errors';
import { SquashfsError } from '@sysext-bakery/squashfs';
import { SysextError } from '../errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** The exit code for an error: 2 for bad usage or arguments, 130 when interrupted, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return EXIT.usage;
  if (err instanceof SysextError) {
    if (err.code === 'USAGE' || err.code === 'INVALID_ARGUMENT' || err.code === 'UNKNOWN_RECIPE') return EXIT.usage;
    if (err.code === 'ABORTED') return EXIT.interrupted;
    return EXIT.failure;
  }
  if (err instanceof KubernetesError) return err.code === 'INVALID_ARGUMENT' || err.code === 'ARCH_UNSUPPORTED' ? EXIT.usage : EXIT.failure;
  if (err instanceof SquashfsError) {
    if (err.code === 'ABORTED') return EXIT.interrupted;
    return err.code === 'INVALID_ARGUMENT' ? EXIT.usage : EXIT.failure;
  }
  return EXIT.failure;
}

/** One line (or a few) for the user: the message, the path/url it concerns, what is missing. */
export function formatError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let text = err.message;
  if (err instanceof KubernetesError && err.missing !== undefined && err.missing.length > 0) {
    text += err.missing.map((m) => `\n  missing: ${m.artifact} ${m.version} ${m.arch} (${m.reason})`).join('');
  }
  if (err instanceof SquashfsError && err.path !== undefined && !text.includes(err.path)) text += ` (at ${err.path})`;
  return text;
}
