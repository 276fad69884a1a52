// Public API of the models layer: checkpoints (safetensors), configs, tokenizers and chat templates.
export * from './safetensors.js';
export * from './hf-config.js';
export * from './tokenizer.js';
export * from './chat-template.js';
export * from './model.js';
export * from './decoder.js';
export * from './hooks.js';
export * from './kv-cache.js';
export * from './family.js';
export * from './generate.js';
export * from './score.js';
export * from './save.js';
export * from './lora.js';
