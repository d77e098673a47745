/**
 * @sysext-bakery/squashfs/testing: property-test your SquashFS output against independent
 * readers. fast-check arbitraries for trees, a writer of trees to real directories, a mksquashfs
 * reference builder, and `checkImage`, which runs unsquashfs, sqfsdiff, rdsquashfs, 7-Zip, a
 * kernel loop mount and this package's reader against an image and reports every difference.
 * Node only; needs the optional peer dependency fast-check for the arbitraries.
 */
export {
  ALL_ENTRY_KINDS,
  BLOCK_SIZES,
  arbContentSpec,
  arbFileSize,
  arbId,
  arbMode,
  arbMtime,
  arbTree,
  arbXattrName,
  arbXattrValue,
  arbXattrs,
  type ArbEntryKind,
  type ArbTreeOptions,
} from './arbitraries.js';
export { LINUX_NAME_MAX, LONGEST_NAMES, ORDER_TRAP_NAMES, longestNames, arbName, arbSymlinkTarget, isUsableName, truncateUtf8 } from './names.js';
export { contentBytes, generateContent, patternContent, specOf, type BlockPattern, type ContentSpec } from './pattern-content.js';
export { describeTree } from './describe.js';
export { materializeTree, type MaterializeOptions, type MaterializeResult } from './materialize.js';
export { mksquashfsArgs, mksquashfsReference, type MksquashfsOptions } from './mksquashfs.js';
export { availableOracles, checkImage, type CheckOptions } from './check-image.js';
export { ORACLE_NAMES, formatReport, type CheckReport, type Difference, type OracleName, type OracleResult } from './report.js';
export { contentDigest, expectedEntries, isStorableXattr, modeString, type ExpectOptions, type ExpectedEntry } from './expected.js';
export { parseLln, parsePseudoFile, resolveSymlinkLine, type LlnEntry, type PseudoEntry } from './listing.js';
export { parseSevenZipSlt, type SevenZipEntry } from './oracles/sevenzip.js';
export { kernelMountUnavailable } from './oracles/kernel.js';
export type { ReferenceOptions } from './oracles/context.js';
export { run, which, type RunResult } from './exec.js';
export { xattrIo, parseGetfattrHex, type XattrIo } from './xattr-io.js';
