import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Young generation (both semi-spaces) at which its growth is stopped: 4 MiB semi-spaces. */
export const YOUNG_GENERATION_CAP = 8 << 20;

/**
 * Caps V8's young generation for the `bakery` process at about {@link YOUNG_GENERATION_CAP}.
 *
 * Building a tree of many files makes V8 grow its young generation (to 2 x 64 MiB semi-spaces on
 * a machine with this much memory, Node 24): ~100 MB of peak RSS that holds only garbage. Kept at
 * its initial 1 MiB instead, it is scavenged ~180 times and the tree promoted early, so full GCs
 * come often: +4% CPU for 25,000 small files. `--max-semi-space-size` would be the documented
 * knob, but it only works on the command line (V8 sizes the heap at start-up). The growth factor
 * is read each time V8 decides to grow, so it can be set at run time: it stays at V8's default
 * until the young generation reaches the cap (checked every 20 ms), then becomes 1. Measured with
 * `bakery pack` on 25,000 small files (2 cores, Node 24): uncapped, zstd 6.33-6.40 s and
 * 260-273 MB; kept at 1 MiB, 186 scavenges and 9 full GCs (650 ms on the main thread); capped
 * here, 53 and 8 (305 ms), `--compression none` 1.39 -> 1.29 s at the same RSS (~185 MB).
 * If a future V8 ignores the flag, only the memory figure changes.
 */
export function limitYoungGeneration(cap = YOUNG_GENERATION_CAP): void {
  const youngSize = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const stop = (): boolean => {
    if (youngSize() < cap) return false;
    try {
      setFlagsFromString('--semi-space-growth-factor=1');
    } catch {
      // not fatal: the heap just grows as usual
    }
    return true;
  };
  if (stop()) return;
  const timer = setInterval(() => {
    if (stop()) clearInterval(timer);
  }, 20);
  timer.unref();
}
