/**
 * What can train: the OpenBLAS addon, or a TensorFlow.js backend. TRAINING_BACKEND picks one or
 * `auto`, which tries them in this order; the settings' schema and the trainer read this one list.
 */
export const TFJS_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export const TRAINING_BACKENDS = ['native', ...TFJS_BACKENDS] as const;
export const BACKEND_CHOICES = ['auto', ...TRAINING_BACKENDS] as const;

export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];
export type BackendName = (typeof TRAINING_BACKENDS)[number];
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
