import { formatInspect, inspectImage, type InspectReport as ImageInspectReport } from '@sysext-bakery/squashfs';
import { EXTENSION_RELEASE_DIR } from './extension-release.js';
import { openImage } from './reader.js';
import { checkSysextImage, type SysextImageCheck } from './verify-sysext.js';

export interface InspectReport {
  /** The squashfs reader's report (superblock summary and entries). */
  image: ImageInspectReport;
  /** Its text form (like `unsquashfs -s` followed by `-lln`). */
  text: string;
  /** Present when the image has usr/lib/extension-release.d/: the sysext check. */
  sysext?: SysextImageCheck;
}

/** `bakery inspect`: superblock summary, full tree listing and, for a sysext, its extension-release check. */
export async function inspectSysextImage(path: string): Promise<InspectReport> {
  const reader = await openImage(path);
  let report: InspectReport;
  let isSysext = false;
  try {
    const image = await inspectImage(reader.image);
    report = { image, text: formatInspect(image) };
    isSysext = (await reader.stat(EXTENSION_RELEASE_DIR)) !== undefined;
  } finally {
    await reader.close();
  }
  if (isSysext) report.sysext = await checkSysextImage(path);
  return report;
}

export function formatSysextCheck(check: SysextImageCheck): string {
  const lines = ['', `sysext: ${check.name ?? '(no extension-release file)'}`];
  if (check.extensionRelease !== undefined) {
    lines.push(`  ${check.extensionRelease.path}:`);
    for (const line of check.extensionRelease.text.replace(/\n$/, '').split('\n')) lines.push(`    ${line}`);
  }
  for (const e of check.errors) lines.push(`  ERROR: ${e}`);
  for (const n of check.notes) lines.push(`  note: ${n}`);
  if (check.errors.length === 0) lines.push('  extension-release: OK');
  return `${lines.join('\n')}\n`;
}
