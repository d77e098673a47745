// The calls `bakery pack` makes for each directory entry it reads, for the measuring scripts that
// must read a payload the same way (io-floor.mjs, minimal-packer.mjs): lstat with BigInt fields,
// then the list of its xattrs through the project's optional @napi-rs/xattr (skipped when the
// module is not installed, as bakery pack then skips it).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let listXattrs = null;
try {
  listXattrs = createRequire(path.join(here, '../packages/squashfs/package.json'))('@napi-rs/xattr').listAttributesSync;
} catch {
  /* optional module missing: no xattr calls */
}

/** True when the xattr module is there (entries get their xattr list read). */
export const xattrsListed = listXattrs !== null;

/** lstat and the xattr list of `p`, as bakery pack makes them; returns the stats. */
export function statEntry(p) {
  const st = fs.lstatSync(p, { bigint: true });
  if (listXattrs !== null) {
    try {
      listXattrs(p);
    } catch {
      /* an entry without xattr support has none */
    }
  }
  return st;
}
