import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lookupPinned, pinnedChecksums } from '@sysext-bakery/kubernetes';
// @ts-expect-error: plain .mjs script without types
import { parseChecksumsYaml, renderModule } from '../scripts/refresh-checksums.mjs';

const yamlPath = fileURLToPath(new URL('../data/upstream-checksums.yml', import.meta.url));
const modulePath = fileURLToPath(new URL('../src/data/pinned-checksums.ts', import.meta.url));

describe('the shipped pinned table', () => {
  it('holds known published digests (spot checks against the kubespray YAML)', () => {
    expect(lookupPinned(pinnedChecksums, 'crictl', 'amd64', 'v1.36.0')).toBe('83855e114566a8a8c44c548d515670f51de3a5e1da8b2effb59870e2f10c25a3');
    expect(lookupPinned(pinnedChecksums, 'kubelet', 'amd64', 'v1.36.4')).toBe('cf2562db46c48ab84cc3791540778ee7fb1a0a008529adbb434723dd02ed8b4b');
    expect(lookupPinned(pinnedChecksums, 'kubelet', 'arm64', 'v1.34.0')).toBe('e45a7795391cd62ee226666039153832d3096c0f892266cd968936e18b2b40b0');
    expect(lookupPinned(pinnedChecksums, 'cni-plugins', 'amd64', 'v1.9.1')).toBe('b98f74a0f8522f0a83867178729c1aa70f2158f90c45a2ca8fa791db1c76b303');
    expect(lookupPinned(pinnedChecksums, 'kubelet', 'amd64', 'v1.99.0')).toBeUndefined();
    expect(lookupPinned(pinnedChecksums, 'kubelet', 'toString', 'v1.36.4')).toBeUndefined();
    expect(lookupPinned(pinnedChecksums, 'constructor', 'amd64', 'v1.36.4')).toBeUndefined();
  });

  it('is exactly what the refresh script generates from the YAML (no hand edits, no drift)', async () => {
    const yaml = await readFile(yamlPath, 'utf8');
    const table = parseChecksumsYaml(yaml) as Record<string, Record<string, Record<string, string>>>;
    const rendered = renderModule(table, 'packages/kubernetes/data/upstream-checksums.yml (kubespray checksums.yml)');
    expect(rendered).toBe(await readFile(modulePath, 'utf8'));
    // every "    <version>: sha256:<hex>" line of the YAML is in the table
    const lines = yaml.split('\n').filter((l) => /^ {4}\d+\.\d+\.\d+: sha256:[0-9a-f]{64}$/.test(l));
    const count = Object.values(pinnedChecksums).flatMap((a) => Object.values(a).flatMap((v) => Object.keys(v))).length;
    expect(count).toBe(lines.length);
    expect(count).toBeGreaterThan(250);
    for (const [tool, arches] of Object.entries(pinnedChecksums)) {
      for (const [arch, versions] of Object.entries(arches)) {
        for (const [v, hex] of Object.entries(versions)) {
          expect(v, `${tool} ${arch}`).toMatch(/^v\d+\.\d+\.\d+$/);
          expect(hex).toMatch(/^[0-9a-f]{64}$/);
        }
      }
    }
  });

  it('the YAML parser skips unknown keys and "0" placeholders and refuses bad shapes', () => {
    const t = parseChecksumsYaml(
      [
        '# comment',
        'calicoctl_binary_checksums:',
        '  amd64:',
        '    3.0.0: sha256:' + 'c'.repeat(64),
        'kubelet_checksums:',
        '  amd64:',
        '    1.2.3: sha256:' + 'a'.repeat(64) + '  # trailing comment',
        '    1.2.2: 0',
        '  riscv64:',
        '    1.2.3: sha256:' + 'b'.repeat(64),
      ].join('\n'),
    );
    expect(t).toEqual({ kubelet: { amd64: { 'v1.2.3': 'a'.repeat(64) } } });
    expect(() => parseChecksumsYaml('kubelet_checksums:\n  amd64:\n    not-a-version: sha256:' + 'a'.repeat(64))).toThrow(/bad version/);
    expect(() => parseChecksumsYaml('kubelet_checksums:\n   amd64:\n')).toThrow(/indentation|architecture/);
  });
});
