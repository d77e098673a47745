// Owned by the inputs: tar stream import, metadata overrides (pseudo definitions).
export {};
