// Public API of the calibrate pillar (RLCR): parsers, correctness checkers, rewards, calibration metrics,
// test-time scaling and the HTML report. Other calibrate modules (eval, server, prompts) add their exports here.

export * from './parse.js';
export * from './run-options.js';
export * from './check.js';
export * from './rewards.js';
export * from './metrics.js';
export * from './scaling.js';
export * from './report.js';
export * from './prompts.js';
export * from './eval.js';
export * from './server.js';
export * from './grpo-loss.js';
export * from './grpo.js';
export * from './grpo-organism.js';
export * from './sft.js';
export * from './replicate.js';
