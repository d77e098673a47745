// Inputs of the encoder that need no Node APIs: tar stream import, metadata overrides.
export * from './glob.js';
export * from './overrides.js';
