/**
 * The one error class of `@sysext-bakery/squashfs`. Every failure carries a stable `code`,
 * and, where it applies, the tree `path`, the image `offset` and the on-disk `structure`.
 */
export type SquashfsErrorCode =
  | 'INVALID_ARGUMENT' // an option out of range (block size, level, ...)
  | 'INVALID_NAME' // empty, ".", "..", contains "/" or NUL, over 256 bytes, invalid Unicode
  | 'DUPLICATE_NAME' // two entries with the same name in one directory
  | 'NOT_A_DIRECTORY' // a path goes through something that is not a directory
  | 'NOT_FOUND' // a path that does not exist (tree or image)
  | 'SIZE_MISMATCH' // a file source gave more or fewer bytes than declared
  | 'SYMLINK_TOO_LONG' // symlink target over 4095 bytes
  | 'TOO_MANY_IDS' // more than 65536 distinct uid/gid values
  | 'LIMIT_EXCEEDED' // any other format limit (inode count, name count, sizes)
  | 'UNSUPPORTED' // a feature the format or this implementation cannot represent
  | 'CORRUPT_IMAGE' // the reader met an image that breaks the format
  | 'IO' // the sink or a source failed
  | 'ABORTED'; // the caller's AbortSignal fired

const BRAND = Symbol.for('@sysext-bakery/squashfs.error');

export interface SquashfsErrorDetails {
  path?: string;
  offset?: number;
  structure?: string;
  cause?: unknown;
}

export class SquashfsError extends Error {
  override readonly name = 'SquashfsError';
  readonly code: SquashfsErrorCode;
  readonly path?: string;
  readonly offset?: number;
  readonly structure?: string;

  constructor(code: SquashfsErrorCode, message: string, details: SquashfsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.path !== undefined) this.path = details.path;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.structure !== undefined) this.structure = details.structure;
  }

  /** `instanceof` works across duplicate copies of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  get [BRAND](): boolean {
    return true;
  }
}

/** A non-fatal problem, e.g. an xattr with a prefix SquashFS cannot store (dropped, as mksquashfs does). */
export interface SquashfsWarning {
  code: 'XATTR_DROPPED' | 'METADATA_MAPPED' | 'TIME_CLAMPED' | 'OTHER';
  message: string;
  path?: string;
}
