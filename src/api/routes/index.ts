import dashboard from './dashboard.js';
import datasets from './datasets.js';
import health from './health.js';
import models from './models.js';
import predict from './predict.js';
import trainingJobs from './training-jobs.js';

/** Every route plugin; each is registered in its own encapsulated context. */
export const routes = [health, trainingJobs, datasets, models, predict, dashboard];
