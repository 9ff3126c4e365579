export * from '../util/safetensors.js';
export * from './csr.js';
export * from './f16.js';
export * from './format.js';
export * from './info.js';
