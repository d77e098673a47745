import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirNode, Tree, WriteProgress } from '@sysext-bakery/squashfs';
import { buildSysext, type BuildSysextResult, type Compression } from './build.js';
import { butaneConfig } from './butane.js';
import { SysextError, type SysextWarning } from './errors.js';
import { validateImageName } from './extension-release.js';
import { updateSha256SumsFile, writeTextAtomic } from './output-files.js';
import type { Recipe, RecipeOptionValues, ProgressEvent } from './recipes/recipe.js';
import { defaultReleaseUrl, sysupdateConf, sysupdateFiles } from './sysupdate.js';

export interface CreateSysextOptions {
  name: string;
  files: Tree | DirNode | string;
  /** Part of the file name (`<name>-<version>-<arch>.raw`); required for sysupdate. */
  version?: string;
  arch?: string;
  outputDir: string;
  os?: string;
  reloadManager?: boolean;
  extensionRelease?: Readonly<Record<string, string>>;
  compression?: Compression;
  level?: number;
  epoch?: number;
  xattrs?: boolean;
  /** Write `<name>.conf` (+ the patch-only conf when `minorSeries` is set) and `.transfer` twins. */
  sysupdate?: boolean;
  minorSeries?: string;
  /** Where the images will be served (sysupdate Path= and the Butane source). */
  releaseUrl?: string;
  /** Write `<image>.bu`, a Butane config for this image. */
  butane?: boolean;
  onProgress?: (event: ProgressEvent) => void;
  onWarning?: (warning: SysextWarning) => void;
  signal?: AbortSignal;
}

export interface CreateSysextResult {
  image: BuildSysextResult & { path: string; sha256: string };
  /** Image file name (`kubernetes-v1.32.0-x86-64.raw`). */
  fileName: string;
  /** Every file written or updated, image first. */
  written: string[];
  releaseUrl: string;
  seconds: number;
}

/** `<name>-<version>-<arch>.raw`, leaving out what is not given, as the bakery names its images. */
export function imageFileName(name: string, version?: string, arch?: string): string {
  if (version !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.,_+-]*$/.test(version)) {
    throw new SysextError('INVALID_ARGUMENT', `version ${JSON.stringify(version)} cannot be matched by systemd-sysupdate: use letters, digits and ".,_+-"`);
  }
  return `${[name, version, arch].filter((p) => p !== undefined && p !== '').join('-')}.raw`;
}

/**
 * Builds `<outputDir>/<name>-<version>-<arch>.raw`, updates `<outputDir>/SHA256SUMS`, and writes
 * the sysupdate transfer files and the Butane config when asked.
 */
export async function createSysext(options: CreateSysextOptions): Promise<CreateSysextResult> {
  const started = Date.now();
  validateImageName(options.name);
  const fileName = imageFileName(options.name, options.version, options.arch);
  if ((options.sysupdate === true || options.butane === true) && options.version === undefined) {
    throw new SysextError('USAGE', 'sysupdate and Butane output need a version in the image name: pass --version');
  }
  const releaseUrl = options.releaseUrl ?? defaultReleaseUrl(options.name);
  if (options.releaseUrl !== undefined) sysupdateConf({ name: options.name, matchPattern: '@v', releaseUrl }); // validates the URL early
  await mkdir(options.outputDir, { recursive: true });
  const path = join(options.outputDir, fileName);
  const onProgress = options.onProgress;
  const image = await buildSysext({
    name: options.name,
    files: options.files,
    ...(options.arch === undefined ? {} : { arch: options.arch }),
    ...(options.os === undefined ? {} : { os: options.os }),
    reloadManager: options.reloadManager === true,
    ...(options.extensionRelease === undefined ? {} : { extensionRelease: options.extensionRelease }),
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.epoch === undefined ? {} : { epoch: options.epoch }),
    ...(options.xattrs === undefined ? {} : { xattrs: options.xattrs }),
    output: path,
    ...(onProgress === undefined ? {} : { onProgress: (p: WriteProgress) => onProgress({ phase: 'encode', label: fileName, done: p.filesDone, total: p.filesTotal }) }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const sha256 = image.sha256!;
  const written = [path, await updateSha256SumsFile(options.outputDir, fileName, sha256)];
  const archPart = options.arch === undefined ? '' : '-%a';
  if (options.sysupdate === true) {
    const files = sysupdateFiles({ name: options.name, releaseUrl, ...(options.minorSeries === undefined ? {} : { minorSeries: options.minorSeries }) });
    for (const file of files) {
      const content = archPart === '' ? file.content.replace(/-%a\.raw$/m, '.raw') : file.content;
      const target = join(options.outputDir, file.name);
      await writeTextAtomic(target, content);
      written.push(target);
    }
  }
  if (options.butane === true) {
    const matchPattern = options.minorSeries === undefined ? `${options.name}-@v${archPart}.raw` : `${options.name}-${options.minorSeries}.@v${archPart}.raw`;
    const confName = options.minorSeries === undefined ? `${options.name}.conf` : `${options.name}-${options.minorSeries}.conf`;
    const target = join(options.outputDir, fileName.replace(/\.raw$/, '.bu'));
    await writeTextAtomic(target, butaneConfig({ name: options.name, imageFile: fileName, releaseUrl, sha256, matchPattern, confName }));
    written.push(target);
  }
  return { image: { ...image, path, sha256 }, fileName, written, releaseUrl, seconds: (Date.now() - started) / 1000 };
}

export interface CreateFromRecipeOptions extends Omit<CreateSysextOptions, 'files' | 'version' | 'arch' | 'name' | 'minorSeries' | 'reloadManager'> {
  recipe: Recipe;
  version: string;
  arch: string;
  /** Extension name (default: the recipe name). */
  name?: string;
  recipeOptions?: RecipeOptionValues;
  log?: (message: string) => void;
}

/**
 * `bakery create <recipe> <version> <arch>`: runs the recipe, then {@link createSysext}. Cached
 * downloads are hashed as they are packed; if one no longer matches its digest (the build then
 * fails before an image exists), the recipe runs again with every cached download checked first,
 * so that a corrupt one is fetched again.
 */
export async function createFromRecipe(options: CreateFromRecipeOptions): Promise<CreateSysextResult & { version: string }> {
  const started = Date.now();
  const { recipe } = options;
  if (!recipe.architectures.includes(options.arch)) {
    throw new SysextError('INVALID_ARGUMENT', `recipe ${recipe.name} builds for ${recipe.architectures.join(', ')}, not ${JSON.stringify(options.arch)}`);
  }
  const attempt = async (verifyCache: 'now' | 'on-read'): Promise<CreateSysextResult & { version: string }> => {
    const built = await recipe.build({
      version: options.version,
      arch: options.arch,
      options: options.recipeOptions ?? {},
      epoch: options.epoch ?? 0,
      verifyCache,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const { recipe: _recipe, recipeOptions: _ro, log: _log, ...rest } = options;
    const result = await createSysext({
      ...rest,
      name: options.name ?? recipe.name,
      files: built.files,
      version: built.version,
      arch: options.arch,
      reloadManager: built.reloadManager,
      ...(built.minorSeries === undefined ? {} : { minorSeries: built.minorSeries }),
    });
    return { ...result, version: built.version };
  };
  let result: CreateSysextResult & { version: string };
  try {
    result = await attempt('on-read');
  } catch (error) {
    const changed = changedCacheFile(error);
    if (changed === undefined) throw error;
    options.log?.(`the cached ${changed} no longer matches its digest: checking every cached download and building again`);
    result = await attempt('now');
  }
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

/**
 * The artifact and cached file named by a `CHECKSUM_MISMATCH` with a `cachedPath` (what reading a
 * cached download that changed on disk fails with) anywhere in `error`'s cause chain.
 */
function changedCacheFile(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, cachedPath, artifact } = e as { code?: unknown; cachedPath?: unknown; artifact?: unknown };
    if (code === 'CHECKSUM_MISMATCH' && typeof cachedPath === 'string') return typeof artifact === 'string' ? `${artifact} (${cachedPath})` : cachedPath;
  }
  return undefined;
}
