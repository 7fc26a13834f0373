import * as tf from '@tensorflow/tfjs';

/** What tfjs-backend-wasm (4.22) keeps per tensor, and its heap: not part of its typed API. */
interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): { memoryOffset: number | null; dtype: string } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/**
 * A float32 tensor's values as a view into the wasm heap, without the copy `dataSync()` makes
 * (its `readSync` slices the heap into a new buffer: for a training step's gradients, about
 * 0.4 MB of garbage per step). Undefined on other backends, or when the tensor lives elsewhere.
 * The view is valid only until the next allocation on the heap: read it at once.
 */
export function wasmView(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<WasmBackendInternals>;
  const info = backend.dataIdMap?.get(t.dataId);
  const heap = backend.wasm?.HEAPU8;
  if (!info || info.memoryOffset === null || info.dtype !== 'float32' || !heap) return undefined;
  return new Float32Array(heap.buffer, heap.byteOffset + info.memoryOffset, t.size);
}

/**
 * Whether creating a tensor copies the given array at once, so a view of a buffer that changes
 * later may be passed (wasm writes into its heap on creation; the cpu backend keeps the array).
 */
export const copiesOnUpload = () => tf.getBackend() === 'wasm';
