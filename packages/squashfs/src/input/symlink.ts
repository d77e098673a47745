import { SquashfsError } from '../errors.js';
import { MAX_SYMLINK_BYTES } from '../tree/names.js';

/** The checks `Tree.symlink` applies, for importers that build symlink nodes themselves. */
export function checkSymlinkTarget(target: string, path: string, where: string): void {
  if (target.length === 0) throw new SquashfsError('INVALID_ARGUMENT', `${where}: symlink ${JSON.stringify(path)} has an empty target`, { path });
  if (target.includes('\0')) throw new SquashfsError('INVALID_ARGUMENT', `${where}: symlink ${JSON.stringify(path)} target contains NUL`, { path });
  const bytes = new TextEncoder().encode(target).length;
  if (bytes > MAX_SYMLINK_BYTES) {
    throw new SquashfsError('SYMLINK_TOO_LONG', `${where}: symlink ${JSON.stringify(path)} target is ${bytes} bytes; the kernel accepts at most ${MAX_SYMLINK_BYTES}`, { path });
  }
}
