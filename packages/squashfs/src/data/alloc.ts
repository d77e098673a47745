/**
 * Buffers whose every used byte is written before it is read (fragment blocks, a block being
 * filled): where the runtime has Node's `Buffer` (Node, Bun, Deno) they come uninitialized, found by
 * feature detection rather than an import; elsewhere a (zeroed) Uint8Array.
 */
type Alloc = (size: number) => Uint8Array;

const nativeAlloc: Alloc | undefined = (() => {
  const B = (globalThis as { Buffer?: { allocUnsafeSlow?: unknown } }).Buffer;
  return typeof B?.allocUnsafeSlow === 'function' ? (B.allocUnsafeSlow as Alloc).bind(B) : undefined;
})();

/** `size` bytes of memory of its own (never a slice of a shared pool), contents unspecified. */
export function allocUninitialized(size: number): Uint8Array {
  return nativeAlloc !== undefined ? nativeAlloc(size) : new Uint8Array(size);
}
