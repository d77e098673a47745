import { squashfs, squashfsNode } from './deps.js';
import { SysextError } from './errors.js';
import { EXTENSION_RELEASE_DIR } from './extension-release.js';
import { openImage, type ImageEntry } from './reader.js';
import { checkSysextImage, type SysextImageCheck } from './verify-sysext.js';

export interface InspectReport {
  /** The squashfs reader's report (superblock summary and entries). */
  image: unknown;
  /** Its text form (like `unsquashfs -s` followed by `-lln`). */
  text: string;
  /** Present when the image has usr/lib/extension-release.d/: the sysext check. */
  sysext?: SysextImageCheck;
}

function fn(module: object, name: string): ((...args: unknown[]) => unknown) | undefined {
  const value = (module as Record<string, unknown>)[name];
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown) : undefined;
}

/** `bakery inspect`: superblock summary, full tree listing and, for a sysext, its extension-release check. */
export async function inspectSysextImage(path: string): Promise<InspectReport> {
  const inspect = fn(squashfs, 'inspectImage');
  const format = fn(squashfs, 'formatInspect');
  const source = fn(squashfsNode, 'fileImageSource');
  if (inspect === undefined || format === undefined || source === undefined) {
    throw new SysextError('UNAVAILABLE', '@sysext-bakery/squashfs does not export inspectImage/formatInspect/fileImageSource yet');
  }
  const src = await source(path);
  let image: unknown;
  try {
    image = await inspect(src);
  } finally {
    const close = (src as { close?: () => Promise<void> }).close;
    if (typeof close === 'function') await close.call(src);
  }
  const report: InspectReport = { image, text: String(format(image)) };
  const reader = await openImage(path);
  let isSysext: ImageEntry | undefined;
  try {
    isSysext = await reader.stat(EXTENSION_RELEASE_DIR);
  } finally {
    await reader.close();
  }
  if (isSysext !== undefined) report.sysext = await checkSysextImage(path);
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
