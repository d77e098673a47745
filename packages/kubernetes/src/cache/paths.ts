import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The default cache directory: `$XDG_CACHE_HOME/sysext-bakery`, else `~/.cache/sysext-bakery`;
 * on Windows `%LOCALAPPDATA%\sysext-bakery\Cache`.
 */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env, platform: string = process.platform): string {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local');
    return join(local, 'sysext-bakery', 'Cache');
  }
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec says relative paths are invalid and must be ignored.
  if (xdg !== undefined && xdg !== '' && xdg.startsWith('/')) return join(xdg, 'sysext-bakery');
  return join(homedir(), '.cache', 'sysext-bakery');
}
