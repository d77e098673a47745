import { SysextError } from './errors.js';

/** The base URL the bakery's confs point at (extensions.flatcar.org, one directory per extension). */
export function defaultReleaseUrl(name: string): string {
  return `https://extensions.flatcar.org/extensions/${name}/`;
}

export interface SysupdateConfOptions {
  /** Extension name: the target directory /opt/extensions/<name> and symlink /etc/extensions/<name>.raw. */
  name: string;
  /** Source MatchPattern, e.g. `kubernetes-@v-%a.raw` or `kubernetes-v1.32.@v-%a.raw`. */
  matchPattern: string;
  /** Where SHA256SUMS and the images are served (the [Source] Path=). */
  releaseUrl: string;
  /** [Target] InstancesMax= (default 3, as the bakery). */
  instancesMax?: number;
  /** [Transfer] Verify= (default false: the bakery does not sign SHA256SUMS). */
  verify?: boolean;
}

/** A sysupdate transfer definition as the bakery's template renders it. */
export function sysupdateConf(options: SysupdateConfOptions): string {
  if (!options.matchPattern.includes('@v')) {
    throw new SysextError('INVALID_ARGUMENT', `MatchPattern ${JSON.stringify(options.matchPattern)} lacks @v: systemd-sysupdate requires it`);
  }
  if (/[\s]/.test(options.releaseUrl) || !/^(https?|file):\/\//.test(options.releaseUrl)) {
    throw new SysextError('INVALID_ARGUMENT', `release URL ${JSON.stringify(options.releaseUrl)} must be an http(s) URL without spaces`);
  }
  const path = options.releaseUrl.endsWith('/') ? options.releaseUrl : `${options.releaseUrl}/`;
  return [
    '[Transfer]',
    `Verify=${options.verify === true ? 'true' : 'false'}`,
    '',
    '[Source]',
    'Type=url-file',
    `Path=${path}`,
    `MatchPattern=${options.matchPattern}`,
    '',
    '[Target]',
    `InstancesMax=${options.instancesMax ?? 3}`,
    'Type=regular-file',
    `Path=/opt/extensions/${options.name}`,
    `CurrentSymlink=/etc/extensions/${options.name}.raw`,
    '',
  ].join('\n');
}

/** One file to write beside the image. */
export interface OutputFile {
  name: string;
  content: string;
}

/**
 * The sysupdate files of an extension: `<name>.conf` following every version and, when
 * `minorSeries` is given (e.g. `v1.32`), `<name>-<minorSeries>.conf` following patch releases
 * only; each also as `.transfer`, the suffix systemd 257 and later prefer.
 */
export function sysupdateFiles(options: { name: string; releaseUrl: string; minorSeries?: string; transfer?: boolean }): OutputFile[] {
  const confs: OutputFile[] = [
    { name: `${options.name}.conf`, content: sysupdateConf({ name: options.name, matchPattern: `${options.name}-@v-%a.raw`, releaseUrl: options.releaseUrl }) },
  ];
  if (options.minorSeries !== undefined) {
    confs.push({
      name: `${options.name}-${options.minorSeries}.conf`,
      content: sysupdateConf({ name: options.name, matchPattern: `${options.name}-${options.minorSeries}.@v-%a.raw`, releaseUrl: options.releaseUrl }),
    });
  }
  if (options.transfer === false) return confs;
  return [...confs, ...confs.map((c) => ({ name: c.name.replace(/\.conf$/, '.transfer'), content: c.content }))];
}
