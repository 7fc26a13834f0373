import dashboard from './dashboard.js';
import datasets from './datasets.js';
import health from './health.js';
import models from './models.js';
import predict from './predict.js';
import registeredModels from './registered-models.js';
import trainingJobEvents from './training-job-events.js';
import tenants from './tenants.js';
import tfServing from './tf-serving.js';
import v2Inference from './v2-inference.js';
import trainingJobs from './training-jobs.js';

/** Every route plugin; each is registered in its own encapsulated context. */
export const routes = [
  health,
  trainingJobs,
  trainingJobEvents,
  datasets,
  models,
  registeredModels,
  predict,
  v2Inference,
  tfServing,
  tenants,
  dashboard,
];
