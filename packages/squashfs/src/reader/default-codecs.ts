import type { CodecProvider } from '../compress/codec.js';
import { portableCodecs } from '../compress/portable.js';

/** The decompressors used when `open` is given none: the portable pure-JS ones (fflate, fzstd). */
export async function defaultCodecs(): Promise<CodecProvider> {
  return portableCodecs;
}
