/** The JSON Schema of each training hyperparameter, put in by vite.config.ts at build time. */
declare const __TRAINING_PARAMS__: Record<string, import('./types.js').ParamSchema>;
