export type { ModelMetadata, ModelMetrics } from '../schemas/model.js';
