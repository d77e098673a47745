import type { SquashfsWarning } from '../errors.js';

/** The only xattr namespaces SquashFS can store (prefix ids 0, 1, 2). */
export const STORABLE_XATTR_PREFIXES = ['user.', 'trusted.', 'security.'] as const;

/** True when SquashFS can store an xattr of this name (`user.*`, `trusted.*`, `security.*`). */
export function isStorableXattr(name: string): boolean {
  return STORABLE_XATTR_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
}

/**
 * Drops xattrs SquashFS cannot store (`system.posix_acl_*`, macOS `com.apple.*`, ...) and warns
 * once per dropped name, not once per file (a macOS tree has `com.apple.provenance` everywhere).
 */
export class XattrNameFilter {
  private readonly warned = new Set<string>();

  private readonly onWarning: ((warning: SquashfsWarning) => void) | undefined;

  constructor(onWarning?: (warning: SquashfsWarning) => void) {
    this.onWarning = onWarning;
  }

  keep(name: string, path: string): boolean {
    if (isStorableXattr(name)) return true;
    if (!this.warned.has(name)) {
      this.warned.add(name);
      this.onWarning?.({
        code: 'XATTR_DROPPED',
        message: `xattr ${JSON.stringify(name)} dropped (first seen on ${JSON.stringify(path)}): SquashFS stores only user.*, trusted.* and security.*`,
        path,
      });
    }
    return false;
  }
}
