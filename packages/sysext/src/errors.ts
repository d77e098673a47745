/**
 * The one error class of `@sysext-bakery/sysext`. Every failure carries a stable `code`, and,
 * where it applies, the image-relative `path` that caused it.
 */
export type SysextErrorCode =
  | 'USAGE' // a bad command line (unknown flag, missing argument)
  | 'INVALID_ARGUMENT' // an option value out of range (name, arch, epoch, compression)
  | 'FORBIDDEN_CONTENT' // content that systemd refuses or that breaks the host when merged
  | 'NAME_MISMATCH' // an extension-release file whose name does not match the image name
  | 'INVALID_EXTENSION_RELEASE' // a malformed or missing extension-release file
  | 'UNKNOWN_RECIPE' // `bakery create <recipe>` with a recipe that does not exist
  | 'VERIFY_FAILED' // the written image failed its read-back check
  | 'IO' // reading the input or writing an output failed
  | 'ABORTED'; // interrupted (signal or AbortSignal)

const BRAND = Symbol.for('@sysext-bakery/sysext.error');

export interface SysextErrorDetails {
  path?: string;
  cause?: unknown;
}

export class SysextError extends Error {
  override readonly name = 'SysextError';
  readonly code: SysextErrorCode;
  readonly path?: string;

  constructor(code: SysextErrorCode, message: string, details: SysextErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.path !== undefined) this.path = details.path;
  }

  /** `instanceof` works across duplicate copies of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  get [BRAND](): boolean {
    return true;
  }
}

/** A non-fatal finding (e.g. a directory that overlays a host path worth a second look). */
export interface SysextWarning {
  code: 'HOST_SYMLINK_DIR' | 'OTHER';
  message: string;
  path?: string;
}
