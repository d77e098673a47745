import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createFromRecipe, createSysext, type CreateSysextResult } from '../create.js';
import { SysextError } from '../errors.js';
import { normalizeArchitecture } from '../extension-release.js';
import { RECIPES, findRecipe } from '../recipes/index.js';
import type { RecipeOptionValues } from '../recipes/recipe.js';
import { parse, parseBool, parseCompression, parseInteger, formatSize, type CliIo, type Options } from './args.js';
import { Progress } from './progress.js';

export const CREATE_HELP = `Usage: bakery create <recipe> <version> [<arch>] [options]
       bakery create <directory> [<version> [<arch>]] --name NAME [options]

Builds a sysext image <name>-<version>-<arch>.raw in --output-dir, updates SHA256SUMS there and,
when asked, writes the systemd-sysupdate transfer files and a Butane config.

  bakery create kubernetes v1.32.0 x86-64 --cni-version v1.6.0
  bakery create kubernetes v1.32 --arch arm64 --sysupdate true --release-url https://example.com/ext/kubernetes/
  bakery create ./my-tree 1.0 x86-64 --name foo

Versions: v1.32.0, 1.32.0, v1.32 (newest patch), latest. Arch: x86-64 (default) or arm64.

Options:
  --arch ARCH              x86-64 | arm64 (same as the positional <arch>)
  --output-dir DIR         where to write (default: .)
  --name NAME              extension name (default: the recipe name / the directory name)
  --version VERSION        version for a directory build (same as the positional <version>)
  --os ID                  host OS ID= (default _any; any other value also writes SYSEXT_LEVEL=1.0)
  --sysupdate true|false   write <name>.conf, the patch-only <name>-vX.Y.conf and .transfer twins
  --release-url URL        where the images will be served: sysupdate Path= and the Butane source
                           (recipes: default https://extensions.flatcar.org/extensions/<name>/,
                           the Flatcar bakery's server; directory builds: required)
  --butane                 write <image>.bu, a Butane config for this image
  --compression gzip|zstd  (default gzip: older Flatcar kernels cannot mount zstd)
  --epoch SECONDS          clamp all times to this, and the mkfs time (default 0: reproducible)
  --force-reload true|false  directory builds: write EXTENSION_RELOAD_MANAGER=1 (default false)
  --extension-release K=V  directory builds: an extra extension-release field (repeatable)
  --xattrs                 directory builds: store extended attributes from the disk
  --debug                  print stack traces
`;

function recipeOptionHelp(): string {
  return RECIPES.map(
    (r) => `\nRecipe ${r.name}: ${r.description}\n${Object.entries(r.options).map(([k, o]) => `  --${k}${o.type === 'string' ? ' VALUE' : ''}`.padEnd(27) + o.description).join('\n')}\n`,
  ).join('');
}

export function createHelp(): string {
  return CREATE_HELP + recipeOptionHelp();
}

const BASE_OPTIONS: Options = {
  arch: { type: 'string' },
  'output-dir': { type: 'string' },
  name: { type: 'string' },
  version: { type: 'string' },
  os: { type: 'string' },
  sysupdate: { type: 'string' },
  'release-url': { type: 'string' },
  butane: { type: 'boolean' },
  compression: { type: 'string' },
  epoch: { type: 'string' },
  'force-reload': { type: 'string' },
  'extension-release': { type: 'string', multiple: true },
  xattrs: { type: 'boolean' },
};

function recipeOptions(): Options {
  const out: Options = {};
  for (const r of RECIPES) for (const [k, o] of Object.entries(r.options)) out[k] = { type: o.type };
  return out;
}

function summary(io: CliIo, result: CreateSysextResult & { version?: string }, notes: readonly string[] = []): void {
  const lines = [
    `image    ${result.image.path}`,
    `size     ${formatSize(result.image.size)}`,
    `sha256   ${result.image.sha256}`,
    `time     ${result.seconds.toFixed(1)} s`,
  ];
  for (const f of result.written.slice(1)) lines.push(`wrote    ${f}`);
  // How each input was verified, also when stderr is not a terminal (the build log keeps it).
  for (const n of notes) lines.push(`input    ${n}`);
  if (result.written.some((f) => /\.(conf|transfer|bu)$/.test(f))) {
    const flatcar = result.releaseUrl.startsWith('https://extensions.flatcar.org/');
    lines.push(`served   ${result.releaseUrl}${flatcar ? '  (the Flatcar bakery\'s server, the default: pass --release-url for your own)' : ''}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
}

export async function runCreate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...BASE_OPTIONS, ...recipeOptions() });
  if (values.help === true) {
    io.stdout.write(createHelp());
    return 0;
  }
  const [target, posVersion, posArch, ...extra] = positionals;
  if (target === undefined) throw new SysextError('USAGE', 'create needs a recipe or a directory (bakery create --help)');
  if (extra.length > 0) throw new SysextError('USAGE', `unexpected arguments: ${extra.join(' ')}`);
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (posArch !== undefined && str('arch') !== undefined && posArch !== str('arch')) throw new SysextError('USAGE', `arch given twice: ${posArch} and --arch ${str('arch')}`);
  if (posVersion !== undefined && str('version') !== undefined) throw new SysextError('USAGE', 'version given twice (positional and --version)');
  const givenArch = posArch ?? str('arch');
  const arch = givenArch === undefined ? undefined : normalizeArchitecture(givenArch);
  const version = posVersion ?? str('version');
  const outputDir = resolve(io.cwd, str('output-dir') ?? '.');
  const compression = parseCompression(str('compression'), false);
  const epoch = parseInteger(str('epoch'), 'epoch', 0, 0xffff_ffff);
  const progress = new Progress(io.stderr);
  const common = {
    outputDir,
    ...(str('os') === undefined ? {} : { os: str('os')! }),
    sysupdate: parseBool(str('sysupdate'), 'sysupdate', false),
    ...(str('release-url') === undefined ? {} : { releaseUrl: str('release-url')! }),
    butane: values.butane === true,
    ...(compression === undefined ? {} : { compression }),
    ...(epoch === undefined ? {} : { epoch }),
    onProgress: (e: Parameters<Progress['event']>[0]) => progress.event(e),
    onWarning: (w: { message: string }) => {
      progress.clear();
      io.stderr.write(`bakery: warning: ${w.message}\n`);
    },
    signal: io.signal,
  };
  const recipeKeys = new Set(RECIPES.flatMap((r) => Object.keys(r.options)));
  const isRecipe = !target.includes('/') && RECIPES.some((r) => r.name === target);
  try {
    if (isRecipe) {
      const recipe = findRecipe(target);
      const notes: string[] = [];
      if (version === undefined) throw new SysextError('USAGE', `create ${target} needs a version (e.g. v1.32.0, v1.32 or latest)`);
      for (const k of ['force-reload', 'extension-release', 'xattrs']) if (values[k] !== undefined) throw new SysextError('USAGE', `--${k} is for directory builds`);
      const recipeValues: Record<string, string | boolean | undefined> = {};
      for (const k of Object.keys(recipe.options)) recipeValues[k] = values[k] as string | boolean | undefined;
      const result = await createFromRecipe({
        ...common,
        recipe,
        version,
        arch: arch ?? 'x86-64',
        ...(str('name') === undefined ? {} : { name: str('name')! }),
        recipeOptions: recipeValues as RecipeOptionValues,
        log: (m) => {
          progress.log(m);
          notes.push(m);
        },
      });
      progress.clear();
      summary(io, result, notes);
      return 0;
    }
    for (const k of recipeKeys) if (values[k] !== undefined) throw new SysextError('USAGE', `--${k} is an option of a recipe, not of directory builds`);
    const dir = resolve(io.cwd, target);
    const st = await stat(dir).catch(() => undefined);
    if (st === undefined || !st.isDirectory()) {
      throw new SysextError('UNKNOWN_RECIPE', `${JSON.stringify(target)} is neither a recipe (${RECIPES.map((r) => r.name).join(', ')}) nor a directory`);
    }
    if ((common.sysupdate || common.butane) && version === undefined) {
      throw new SysextError('USAGE', 'sysupdate and Butane output need a version in the image name: pass <version> or --version');
    }
    if ((common.sysupdate || common.butane) && str('release-url') === undefined) {
      throw new SysextError('USAGE', '--sysupdate and --butane need --release-url: the URL directory that will serve SHA256SUMS and the images');
    }
    const extensionRelease: Record<string, string> = {};
    for (const kv of (values['extension-release'] as string[] | undefined) ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new SysextError('USAGE', `--extension-release takes KEY=VALUE, not ${JSON.stringify(kv)}`);
      extensionRelease[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const result = await createSysext({
      ...common,
      name: str('name') ?? basename(dir),
      files: dir,
      ...(version === undefined ? {} : { version }),
      ...(arch === undefined ? {} : { arch }),
      reloadManager: parseBool(str('force-reload'), 'force-reload', false),
      extensionRelease,
      xattrs: values.xattrs === true,
    });
    progress.clear();
    summary(io, result);
    return 0;
  } finally {
    progress.clear();
  }
}
