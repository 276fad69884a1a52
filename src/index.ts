/**
 * glassbox: the library entry. Each layer is available as a namespace (engine, nn, models, providers,
 * data, calibrate, runs) and through its own subpath (`glassbox/models`, ...); the most used calls are
 * re-exported here directly.
 */
export * as engine from './engine/index.js';
export * as models from './models/index.js';
export * as providers from './providers/index.js';
export * as calibrate from './calibrate/index.js';
export * as runs from './runs/index.js';
export { Tensor, tensor, zeros, ones, scope, noGrad, Rng } from './engine/index.js';
export { loadModel, createModel, saveModel, generate, generateText, scoreContinuations, perplexity, steer, patch, ablate, capture, loadTokenizer, type Model } from './models/index.js';
export { createProvider, type Provider } from './providers/index.js';
export { openStore } from './runs/index.js';
