import { sysupdateConf } from './sysupdate.js';

export interface ButaneOptions {
  /** Extension name (`kubernetes`): /etc/extensions/<name>.raw and the sysupdate component. */
  name: string;
  /** Image file name as served (`kubernetes-v1.32.0-x86-64.raw`). */
  imageFile: string;
  /** Where the image, SHA256SUMS and confs are served. */
  releaseUrl: string;
  /** The image's SHA-256 (hex): Ignition checks the download against it. */
  sha256?: string;
  /** sysupdate MatchPattern for updates (default `<name>-@v-%a.raw`). */
  matchPattern?: string;
  /** File name of the sysupdate transfer under /etc/sysupdate.<name>.d/ (default `<name>.conf`). */
  confName?: string;
  /** Enable systemd-sysupdate (default true); false only places the image and the symlink. */
  updates?: boolean;
}

/** The "noop" transfer that keeps systemd-sysupdate.service from failing with no definitions (Flatcar#1983). */
export const NOOP_CONF = '[Source]\nType=regular-file\nPath=/\nMatchPattern=invalid@v.raw\n[Target]\nType=regular-file\nPath=/\n';

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text.replace(/\n$/, '').split('\n').map((l) => (l === '' ? '' : pad + l)).join('\n');
}

function yamlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * A Butane config (variant flatcar) that downloads the image to /opt/extensions/<name>/, links
 * /etc/extensions/<name>.raw to it, installs the sysupdate transfer and a sysupdate drop-in that
 * flags a reboot (/run/reboot-required, for kured) when an update was staged.
 */
export function butaneConfig(options: ButaneOptions): string {
  const { name, imageFile } = options;
  const base = options.releaseUrl.endsWith('/') ? options.releaseUrl : `${options.releaseUrl}/`;
  const target = `/opt/extensions/${name}/${imageFile}`;
  const confName = options.confName ?? `${name}.conf`;
  const conf = sysupdateConf({ name, matchPattern: options.matchPattern ?? `${name}-@v-%a.raw`, releaseUrl: base });
  const updates = options.updates !== false;
  const out: string[] = [
    `# Butane config for the ${name} sysext (${imageFile}).`,
    `# Transpile: butane --pretty --strict ${name}.bu > ${name}.ign`,
    'variant: flatcar',
    'version: 1.0.0',
    'storage:',
    '  files:',
    `    - path: ${target}`,
    '      mode: 0644',
    '      contents:',
    `        source: ${yamlString(base + imageFile)}`,
  ];
  if (options.sha256 !== undefined) {
    out.push('        verification:', `          hash: sha256-${options.sha256}`);
  }
  if (updates) {
    out.push(
      `    - path: /etc/sysupdate.${name}.d/${confName}`,
      '      contents:',
      '        inline: |',
      indent(conf, 10),
      '    - path: /etc/sysupdate.d/noop.conf',
      '      contents:',
      '        inline: |',
      indent(NOOP_CONF, 10),
    );
  }
  out.push(
    '  links:',
    `    - target: ${target}`,
    `      path: /etc/extensions/${name}.raw`,
    '      hard: false',
  );
  if (updates) {
    out.push(
      'systemd:',
      '  units:',
      '    - name: systemd-sysupdate.timer',
      '      enabled: true',
      '    - name: systemd-sysupdate.service',
      '      dropins:',
      `        - name: ${name}.conf`,
      '          contents: |',
      indent(
        [
          '[Service]',
          `ExecStartPre=/usr/bin/sh -c "readlink --canonicalize /etc/extensions/${name}.raw > /tmp/${name}"`,
          `ExecStartPre=/usr/lib/systemd/systemd-sysupdate -C ${name} update`,
          `ExecStartPost=/usr/bin/sh -c "readlink --canonicalize /etc/extensions/${name}.raw > /tmp/${name}-new"`,
          `ExecStartPost=/usr/bin/sh -c "if ! cmp --silent /tmp/${name} /tmp/${name}-new; then touch /run/reboot-required; fi"`,
        ].join('\n'),
        12,
      ),
      '    - name: locksmithd.service',
      '      # reboots are coordinated by kured (it watches /run/reboot-required)',
      '      mask: true',
    );
  }
  return `${out.join('\n')}\n`;
}
