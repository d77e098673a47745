import { SquashfsError } from '../errors.js';

/** On-disk structures named in CORRUPT_IMAGE errors and verify problems. */
export type Structure =
  | 'superblock'
  | 'compression options'
  | 'inode table'
  | 'directory table'
  | 'fragment table'
  | 'id table'
  | 'xattr table'
  | 'export table'
  | 'data block'
  | 'fragment block';

/** The error every malformed image ends with. */
export function corrupt(structure: Structure, offset: number, message: string, cause?: unknown): SquashfsError {
  return new SquashfsError('CORRUPT_IMAGE', `corrupt ${structure} at offset ${offset}: ${message}`, {
    structure,
    offset,
    ...(cause === undefined ? {} : { cause }),
  });
}
