/**
 * glassbox nn: what training needs above the engine: initialisers, named parameter collections
 * (freeze, clip, norms), optimisers (AdamW, SGD), schedules, LoRA adapters, losses and collation,
 * atomic checkpoints and a resumable training loop.
 */
export * from './init.js';
export * from './params.js';
export * from './optim.js';
export * from './schedule.js';
export * from './lora.js';
export * from './loss.js';
export * from './collate.js';
export * from './checkpoint.js';
export * from './train.js';
export { writeF32Tensors, readF32Tensors, defaultTensorWriter, type F32Entry, type TensorFileWriter } from './tensor-file.js';
