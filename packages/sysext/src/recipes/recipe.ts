import type { Tree } from '@sysext-bakery/squashfs';

/** Progress of a long step (a download, the encoding), for a terminal progress line. */
export interface ProgressEvent {
  phase: 'resolve' | 'download' | 'verify' | 'unpack' | 'encode';
  /** What is being worked on (an artifact name, an image file). */
  label: string;
  done?: number;
  total?: number;
}

/** A recipe-specific command-line option (`--cni-version`). */
export interface RecipeOption {
  type: 'string' | 'boolean';
  description: string;
}

export type RecipeOptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface RecipeBuildOptions {
  /** As given by the user (`v1.32.0`, `1.32`, `latest`); the recipe resolves it. */
  version: string;
  /** systemd architecture name (`x86-64`, `arm64`). */
  arch: string;
  /** Values of the recipe's own options, by option name. */
  options: RecipeOptionValues;
  /** Clamp for the mtimes the recipe sets (the build clamps again). */
  epoch: number;
  onProgress?: (event: ProgressEvent) => void;
  /** One-line messages for the user (which CNI version, how artifacts were verified). */
  log?: (message: string) => void;
  signal?: AbortSignal;
  /**
   * How cached downloads are checked: `'on-read'` (default) while the image is written (the
   * bytes packed are the bytes hashed; a mismatch fails the build with a `CHECKSUM_MISMATCH`
   * whose `cachedPath` is set, and {@link createFromRecipe} builds again with `'now'`), or
   * `'now'`: hashed before use, a corrupt copy fetched again.
   */
  verifyCache?: 'now' | 'on-read';
}

export interface RecipeBuild {
  /** The resolved version (`v1.32.0`): part of the image file name. */
  version: string;
  /**
   * The extension's content (usr/ and opt/ only; the builder adds the extension-release file).
   * It may hold directories still being read (DirNode.load: the kubernetes recipe's CNI plugins,
   * unpacked while the binaries are packed): `await loadTree(files)` before walking it.
   */
  files: Tree;
  /** The extension ships units: write EXTENSION_RELOAD_MANAGER=1. */
  reloadManager: boolean;
  /** Version prefix for a second, patch-only sysupdate conf (`v1.32` → kubernetes-v1.32.conf). */
  minorSeries?: string;
}

/** One kind of sysext `bakery create <recipe>` can build. A new recipe is one module. */
export interface Recipe {
  readonly name: string;
  readonly description: string;
  readonly architectures: readonly string[];
  readonly options: Readonly<Record<string, RecipeOption>>;
  /** Versions the recipe can build (newest first); `latest` = the newest patch of each supported minor. */
  listVersions(options: { latest?: boolean; options: RecipeOptionValues; signal?: AbortSignal }): Promise<string[]>;
  build(options: RecipeBuildOptions): Promise<RecipeBuild>;
}
