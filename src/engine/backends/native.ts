/** Placeholder until the native backend wrapper lands (owned by the native helper). */
import type { Kernels } from '../kernels.js';
import type { NativeAddon } from '../native-addon.js';
export function createNativeKernels(_addon: NativeAddon): Kernels {
  throw new Error('native kernels wrapper not built yet');
}
