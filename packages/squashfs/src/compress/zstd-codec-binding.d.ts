/** The emscripten factory inside zstd-codec (no typings upstream); see zstd-wasm.ts. */
declare module 'zstd-codec/lib/zstd-codec-binding-wasm.js' {
  const factory: (module: Record<string, unknown>) => unknown;
  export default factory;
}
