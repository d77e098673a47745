/**
 * @sysext-bakery/sysext: build systemd system extensions (sysext) from any tree or directory,
 * the Kubernetes recipe, and the pieces around them (extension-release, sysupdate, SHA256SUMS,
 * Butane). The `bakery` command (src/cli.ts) is a thin layer over these.
 */
export { SysextError, type SysextErrorCode, type SysextErrorDetails, type SysextWarning } from './errors.js';
export {
  SYSTEMD_ARCHITECTURES,
  EXTENSION_RELEASE_DIR,
  extensionReleasePath,
  formatExtensionRelease,
  parseExtensionRelease,
  checkExtensionRelease,
  validateImageName,
  validateArchitecture,
  normalizeArchitecture,
  type ExtensionReleaseOptions,
  type ExtensionReleaseCheck,
} from './extension-release.js';
export { validateSysextTree } from './validate.js';
export { buildSysext, type BuildSysextOptions, type BuildSysextResult, type Compression } from './build.js';
/** SHA-256 (hex) of a file. */
export { sha256OfFile as sha256File } from './deps.js';
export {
  createSysext,
  createFromRecipe,
  imageFileName,
  type CreateSysextOptions,
  type CreateSysextResult,
  type CreateFromRecipeOptions,
} from './create.js';
export { parseSha256Sums, formatSha256Sums, updateSha256Sums, checkManifestName, type Sha256SumsEntry } from './sha256sums.js';
export { sysupdateConf, sysupdateFiles, defaultReleaseUrl, type SysupdateConfOptions, type OutputFile } from './sysupdate.js';
export { butaneConfig, NOOP_CONF, type ButaneOptions } from './butane.js';
export { writeTextAtomic, updateSha256SumsFile } from './output-files.js';
export type { FileLockOptions } from './file-lock.js';
export { packImage, parseSourceDateEpoch, type PackOptions, type PackResult } from './pack.js';
export { inspectSysextImage, formatSysextCheck, type InspectReport } from './inspect.js';
export { checkSysextImage, verifySysextImage, type SysextImageCheck } from './verify-sysext.js';
export { openImage, verifyImageFile, type ImageReader, type ImageEntry } from './reader.js';
export {
  RECIPES,
  findRecipe,
  kubernetesRecipe,
  minorSeries,
  type Recipe,
  type RecipeBuild,
  type RecipeBuildOptions,
  type RecipeOption,
  type RecipeOptionValues,
  type ProgressEvent,
} from './recipes/index.js';
export { runCli, main, MAIN_HELP } from './cli/main.js';
export type { CliIo } from './cli/args.js';
