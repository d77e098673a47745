#!/usr/bin/env node
// The same extension built from code: a virtual tree (no files on disk) through the library.
//   npm run build && node examples/generic-sysext/build.mjs [output-dir]
import { Tree } from '@sysext-bakery/squashfs';
import { createSysext } from '@sysext-bakery/sysext';

const tree = new Tree();
tree.file('usr/bin/hello', '#!/bin/sh\ncat /usr/share/hello/message.txt\n', { mode: 0o755 });
tree.file('usr/share/hello/message.txt', 'Hello from a sysext built in code.\n');
tree.file('usr/lib/systemd/system/hello.service', '[Unit]\nDescription=Say hello\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/hello\n');

const result = await createSysext({
  name: 'hello',
  version: '1.0.0',
  arch: 'x86-64',
  files: tree,
  reloadManager: true, // EXTENSION_RELOAD_MANAGER=1: systemd sees hello.service at merge
  outputDir: process.argv[2] ?? 'out',
  sysupdate: true,
  releaseUrl: 'https://sysext.example.com/extensions/hello/',
});
console.log(`${result.image.path}\n${result.image.sha256}`);
