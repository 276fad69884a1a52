/**
 * glassbox engine: tensors with tape autograd over swappable kernels (native OpenBLAS addon, or the
 * TypeScript reference). Import from here; the op functions are also available as `ops.*`.
 */
export { Tensor, empty, emptyUninit, zeros, ones, full, scalar, tensor, arange, numel, contiguousStrides, type Shape } from './tensor.js';
export { Storage, storageStats, setStoragePoolLimit, reserveStoragePool, type DType } from './storage.js';
export { scope } from './scope.js';
export { noGrad, isGradEnabled, GradNode } from './autograd.js';
export { K, setBackend, backendName, withBackend, getNativeKernels, type BackendName } from './backend.js';
export { Rng, randn, uniform, randint } from './random.js';
export { OP_TABLE, defineOp, type OpSpec, type OpCase } from './op.js';
export * from './ops/shape.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/matmul.js';
export * from './ops/nn.js';
export * from './ops/sampling.js';
import './ops/nn-cases.js';
export { loadNativeAddon, nativeLoadError } from './native-addon.js';
export { UnaryOp, BinaryOp, ReduceOp, type Kernels, type AttentionGeom } from './kernels.js';
export { referenceKernels } from './backends/reference.js';
