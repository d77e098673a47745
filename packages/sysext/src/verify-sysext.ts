import { SysextError } from './errors.js';
import { EXTENSION_RELEASE_DIR, checkExtensionRelease, parseExtensionRelease } from './extension-release.js';
import { openImage, verifyImageFile } from './reader.js';
import type { VerifyProblem } from '@sysext-bakery/squashfs';

/** `structure at offset N: message (path)` for each problem. */
export function formatProblems(problems: readonly VerifyProblem[]): string {
  return problems.map((p) => `${p.structure} at offset ${p.offset}: ${p.message}${p.path === undefined ? '' : ` (${p.path})`}`).join('; ');
}

export interface SysextImageCheck {
  /** The extension name found in usr/lib/extension-release.d/, if exactly one. */
  name?: string;
  extensionRelease?: { path: string; text: string; fields: Record<string, string> };
  /** Problems: systemd-sysext would refuse or ignore the image. */
  errors: string[];
  notes: string[];
}

/**
 * Reads an image's extension-release file(s) and checks what systemd-sysext checks: exactly one
 * extension-release.<name>, matching `expectName` when given, with valid fields; no
 * usr/lib/os-release; nothing but usr/ and opt/ at the top.
 */
export async function checkSysextImage(path: string, options: { expectName?: string } = {}): Promise<SysextImageCheck> {
  const image = await openImage(path);
  const result: SysextImageCheck = { errors: [], notes: [] };
  try {
    for (const entry of await image.list('')) {
      if (entry.name !== 'usr' && entry.name !== 'opt') result.notes.push(`/${entry.name} is outside /usr and /opt: systemd-sysext does not merge it`);
    }
    if ((await image.stat('usr/lib/os-release')) !== undefined) result.errors.push('usr/lib/os-release is present: systemd-sysext refuses the image');
    const sbin = await image.stat('usr/sbin');
    if (sbin?.kind === 'dir') result.errors.push('usr/sbin is a real directory: on Flatcar it hides the host /usr/sbin -> bin symlink');
    const dir = await image.stat(EXTENSION_RELEASE_DIR);
    if (dir === undefined || dir.kind !== 'dir') {
      result.errors.push(`${EXTENSION_RELEASE_DIR}/ is missing: not a sysext image`);
      return result;
    }
    const releases = (await image.list(EXTENSION_RELEASE_DIR)).filter((e) => e.name.startsWith('extension-release.'));
    if (releases.length === 0) {
      result.errors.push(`no extension-release.<name> in ${EXTENSION_RELEASE_DIR}/: not a sysext image`);
      return result;
    }
    if (releases.length > 1) result.errors.push(`several extension-release files: ${releases.map((r) => r.name).join(', ')}`);
    const release = releases[0]!;
    const name = release.name.slice('extension-release.'.length);
    result.name = name;
    const releasePath = `${EXTENSION_RELEASE_DIR}/${release.name}`;
    if (release.kind !== 'file') {
      result.errors.push(`${releasePath} is a ${release.kind}, not a file`);
      return result;
    }
    if (options.expectName !== undefined && name !== options.expectName) {
      result.errors.push(`${releasePath} names "${name}", expected "${options.expectName}": systemd-sysext refuses it under that name`);
    }
    const text = new TextDecoder().decode(await image.readFile(releasePath));
    try {
      const fields = parseExtensionRelease(text, releasePath);
      result.extensionRelease = { path: releasePath, text, fields: Object.fromEntries(fields) };
      const check = checkExtensionRelease(fields);
      result.errors.push(...check.errors);
      result.notes.push(...check.notes);
      result.notes.push(`merge it as ${name}.raw (e.g. /etc/extensions/${name}.raw, a symlink to the versioned file)`);
    } catch (err) {
      result.errors.push(err instanceof Error ? err.message : String(err));
    }
    return result;
  } finally {
    await image.close();
  }
}

/**
 * Full check after a build: the squashfs consistency check plus {@link checkSysextImage}; throws
 * VERIFY_FAILED. `label` names the image in messages (default `path`; e.g. the target of a temp file).
 */
export async function verifySysextImage(path: string, options: { name?: string; full?: boolean; label?: string } = {}): Promise<SysextImageCheck> {
  const label = options.label ?? path;
  if (options.full !== false) {
    const report = await verifyImageFile(path);
    if (!report.ok) throw new SysextError('VERIFY_FAILED', `${label} failed its read-back check: ${formatProblems(report.problems)}`, { path: label });
  }
  const check = await checkSysextImage(path, options.name === undefined ? {} : { expectName: options.name });
  if (check.errors.length > 0) throw new SysextError('VERIFY_FAILED', `${label}: ${check.errors.join('; ')}`, { path: label });
  return check;
}
