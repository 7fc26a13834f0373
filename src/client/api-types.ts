// Generated from openapi.yaml by `npm run openapi` (openapi-typescript): do not edit.

export interface paths {
  '/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Prometheus metrics (text format); with API keys, needs `Authorization: Bearer` with METRICS_KEY or an admin key */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/healthz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: 200 while the process runs */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'ok';
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/readyz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Readiness: 200 when Redis and the model storage answer, 503 when either does not */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'ready';
              redis: 'ok' | 'unreachable';
              storage: 'ok' | 'unreachable';
              /**
               * @description The training backend (TRAINING_BACKEND as resolved)
               * @example native
               */
              backend: string;
            };
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'unavailable';
              redis: 'ok' | 'unreachable';
              storage: 'ok' | 'unreachable';
              /**
               * @description The training backend (TRAINING_BACKEND as resolved)
               * @example native
               */
              backend: string;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/training-jobs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List the tenant's training jobs, newest first */
    get: {
      parameters: {
        query?: {
          state?: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
          limit?: number;
          /** @description Admin keys only: list this tenant's resources (without it, an admin sees every tenant's) */
          tenant?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: components['schemas']['TrainingJob'][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    /**
     * Queue a training job
     * @description Every hyperparameter is optional; the defaults are the reference recipe. Any other field is a 400. So is a job past the budgets, with a message naming its figure and the setting: more parameters than MAX_MODEL_PARAMS, batchSize × hidden units above MAX_BATCH_UNITS, training work (6 × parameters × training samples × epochs) above MAX_JOB_GFLOP, or a timeoutSeconds above JOB_TIMEOUT_SECONDS. Answers 202 with the new job, or 200 with the earlier job when an Idempotency-Key is repeated.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes the request safe to retry: within 24 h, the same key with the same body answers the job the first request created (200, same Location) instead of queuing another; with a different body it is a 409 IDEMPOTENCY_KEY_REUSED. 1–200 printable ASCII characters. */
          'idempotency-key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /**
             * @description Dataset id
             * @default mnist-sample
             */
            dataset?: string;
            /** @description A label for the job and its model */
            name?: string;
            /**
             * @description The registered model to add a version to; default: derived from the job's name, else its dataset
             * @example digits
             */
            model?: string;
            /** @description Move this alias to the new version when the job completes, if the condition holds */
            promote?: {
              /**
               * @description An alias: a lower-case slug of 1–32 characters (`latest` is kept by the registry)
               * @example production
               */
              alias: string;
              if?: {
                /**
                 * @description testAccuracy: higher is better; testLoss: lower
                 * @enum {string}
                 */
                metric: 'testAccuracy' | 'testLoss';
                /** @description The metric must be at least this */
                atLeast?: number;
                /** @description The metric must be at most this */
                atMost?: number;
                /** @description The metric must beat that of the version the alias holds now */
                betterThanCurrent?: boolean;
              };
            };
            /**
             * @description Passes over the training set
             * @default 5
             */
            epochs?: number;
            /**
             * @description Samples per optimizer step
             * @default 64
             */
            batchSize?: number;
            /** @default 0.001 */
            learningRate?: number;
            /**
             * @description Units of each hidden dense layer
             * @default [
             *       128,
             *       64
             *     ]
             */
            hiddenLayers?: number[];
            /**
             * @description Activation of the hidden layers
             * @default relu
             * @enum {string}
             */
            activation?: 'relu' | 'tanh' | 'sigmoid' | 'elu';
            /**
             * @default adam
             * @enum {string}
             */
            optimizer?: 'adam' | 'sgd' | 'rmsprop';
            /**
             * @description Fraction of the training set held out to report valLoss/valAccuracy each epoch
             * @default 0
             */
            validationSplit?: number;
            /** @description Seeds weight initialisation and shuffling: same seed, data and backend give the same model */
            seed?: number;
            /** @description Run-time limit of this job in seconds, at most the service's JOB_TIMEOUT_SECONDS (the default). Not a hyperparameter: the same job with another limit trains the same model */
            timeoutSeconds?: number;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['TrainingJob'];
          };
        };
        /** @description Default Response */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['TrainingJob'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/training-jobs/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A training job with its progress: each finished epoch appears as soon as it ends */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['TrainingJob'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete a finished job's record (409 while it is queued or running) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/training-jobs/{id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Cancel a job
     * @description A queued job is removed from the queue and is cancelled at once. A running job stops after its current batch (within about a second), stores no model, and shows `cancelled` shortly after this answer. A finished job is a 409.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['TrainingJob'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/training-jobs/{id}/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A job's live events: state changes, each epoch's progress, the outcome
     * @description Server-Sent Events (text/event-stream). Every event has an `id`; a client that reconnects with
     *     `Last-Event-ID` gets the events it missed, then live ones, none twice.
     *
     *     - `state`: `{"state": "queued" | "running" | ...}` on every state change
     *     - `progress`: after each epoch, the same object as the job's `progress`; within an epoch, about once a
     *       second, the same with `current` (the samples of the running epoch done so far)
     *     - `completed` / `failed` / `cancelled`: the full job resource, as GET /v1/training-jobs/{id}
     *       answers it; the server then ends the stream
     *
     *     A new connection starts with the job's current `state` (and `progress` once an epoch has finished);
     *     for a finished job it also sends the final event and ends. A comment line `: ping` is sent every 15 s.
     *     A reconnect after the final event is answered 204, which tells EventSource to stop; a reconnect to
     *     a finished job that missed the final event gets that event alone (the job it carries holds every
     *     epoch). A reconnect whose missed events are no longer kept, or lie too far back, gets the job's
     *     current state and progress, as a new connection does.
     *
     *     Each tenant (each key within `default`, each client IP without keys) may hold MAX_EVENT_STREAMS_PER_KEY streams open on one
     *     server, and a server MAX_EVENT_STREAMS in all: past either, a 429 `TOO_MANY_STREAMS` with `Retry-After`.
     */
    get: {
      parameters: {
        query?: never;
        header?: {
          /** @description The `id` of the last event received: the stream resumes right after it (sent by EventSource) */
          'last-event-id'?: string;
        };
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description An event stream */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'text/event-stream': string;
          };
        };
        /** @description The job has finished and the client has had every event */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The built-in datasets and the tenant's uploads */
    get: {
      parameters: {
        query?: {
          /** @description Admin keys only: list this tenant's resources (without it, an admin sees every tenant's) */
          tenant?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: components['schemas']['Dataset'][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    /**
     * Upload a dataset: an archive of class folders, CSV files, or four IDX files
     * @description An `archive` (ZIP, tar or tar.gz of `train/<class>/*` with optional `test/<class>/*`, or `<class>/*` at the root, optionally under one top-level folder) or `trainCsv` (+ `testCsv`: a header with `label` and 784 pixel columns) is staged and answered 202 with the dataset `importing`; a `dataset-import` job then converts it (see `import.progress`) and ends `ready` or `failed` (`import.error`). Classes are the folder names or CSV labels sorted by Unicode code point. The four IDX files are stored at once (201).
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'multipart/form-data': {
            name: string;
            /**
             * Format: binary
             * @description ZIP, tar or tar.gz of class folders (PNG, JPEG, BMP, WebP, GIF images)
             */
            archive?: string;
            /**
             * Format: binary
             * @description CSV: a header row with "label" and 784 pixel columns (0–255), one image per row
             */
            trainCsv?: string;
            /**
             * Format: binary
             * @description CSV of the test split, in the form of trainCsv
             */
            testCsv?: string;
            /**
             * @description Share of each class drawn into the test split when the upload has none
             * @default 0.2
             */
            testSplit?: number;
            /** @description Seed of that split (random when absent; shown on the dataset) */
            seed?: number;
            /** @description IDX uploads only: class names, index = label, as a JSON array of strings or names separated by commas; default "0", "1", … (ten, or up to the highest label). 2 to MAX_CLASSES names of 1–64 characters, none of them control, invisible or bidi characters, no two alike ignoring case */
            labels?: string;
            /**
             * @description How images become 28×28 input: mnist (invert a light background, crop, fit 20×20, centre by mass) or fit (letterbox to 28×28)
             * @default mnist
             * @enum {string}
             */
            preprocess?: 'mnist' | 'fit';
            /**
             * Format: binary
             * @description IDX file (trainImages), optionally gzipped
             */
            trainImages?: string;
            /**
             * Format: binary
             * @description IDX file (trainLabels), optionally gzipped
             */
            trainLabels?: string;
            /**
             * Format: binary
             * @description IDX file (testImages), optionally gzipped
             */
            testImages?: string;
            /**
             * Format: binary
             * @description IDX file (testLabels), optionally gzipped
             */
            testLabels?: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Dataset'];
          };
        };
        /** @description Default Response */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Dataset'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One dataset */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Dataset'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete an uploaded dataset (409 for built-ins and while a queued or running job uses it) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets/{id}/preview.png': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A grid of the first 8 training images of each class (one row per class, in class order), as the network sees them */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description PNG image */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'image/png': string;
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'image/png': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'image/png': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'image/png': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'image/png': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The tenant's stored models (versions), newest first, and its registered models with their aliases */
    get: {
      parameters: {
        query?: {
          /** @description Admin keys only: list this tenant's resources (without it, an admin sees every tenant's) */
          tenant?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: components['schemas']['Model'][];
              registered: components['schemas']['RegisteredModel'][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A stored model by id (metrics, parameters, provenance), or a registered model by name
     * @description Ids are UUIDs; names are slugs that never look like one.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Model'] | components['schemas']['RegisteredModel'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /**
     * Delete a stored model by id (409 while an alias holds its version), or a registered model by name
     * @description Deleting a registered model deletes its versions' stored models, its aliases and history.
     */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    /** Set a registered model's description or tags */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            description?: string;
            /** @description At most 20 tags, keys of 1–64 letters, digits and _.:-, values up to 256 characters */
            tags?: {
              [key: string]: string;
            };
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RegisteredModel'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    trace?: never;
  };
  '/v1/models/{id}/model.json': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The model in TensorFlow.js layers format, for tf.loadLayersModel(url) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description TensorFlow.js model.json */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              [key: string]: unknown;
            };
          };
        };
        /** @description Not modified: If-None-Match names the ETag */
        304: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/weights.bin': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The weights file model.json names */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Weights, float32 little-endian */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': string;
          };
        };
        /** @description Not modified: If-None-Match names the ETag */
        304: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/versions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Versions of a registered model, newest first, with their metrics and aliases side by side */
    get: {
      parameters: {
        query?: {
          /** @description Most versions listed */
          limit?: number;
        };
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: components['schemas']['ModelVersion'][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/versions/{version}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One version: its model id, metrics, aliases and lineage */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
          /** @description A version number */
          version: number;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ModelVersion'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete a version and its stored model; 409 while an alias points at it */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
          /** @description A version number */
          version: number;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    /** Set a version's description or tags (its model and lineage never change) */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
          /** @description A version number */
          version: number;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            description?: string;
            /** @description At most 20 tags, keys of 1–64 letters, digits and _.:-, values up to 256 characters */
            tags?: {
              [key: string]: string;
            };
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ModelVersion'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    trace?: never;
  };
  '/v1/models/{id}/aliases/{alias}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /** Point an alias at a version (promote, or roll back); with expectedVersion a compare-and-set */
    put: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
          /** @description An alias name */
          alias: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            version: number;
            expectedVersion?: number | null;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              alias: string;
              version: number;
              from: number | null;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    post?: never;
    /** Remove an alias (kept in the history) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
          /** @description An alias name */
          alias: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/history': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every alias move of a registered model, newest first: from, to, when, by whom */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                alias: string;
                from: number | null;
                to: number | null;
                /** Format: date-time */
                at: string;
                /** @description A caller, or job:<id> for a promote rule */
                by: string;
              }[];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Predict with ?model=, else DEFAULT_MODEL, else the tenant's only model (409 when several)
     * @description Send one image as the raw body (PNG, JPEG, WebP, GIF, BMP), a batch as multipart files named "image", or JSON pixels. Images are converted by the model's own rule (its `preprocess`): `mnist` (invert a light background, crop, fit 20×20, centre by mass; a 28×28 white-on-black image is taken as is) or `fit` (letterboxed to 28×28). The answer names the model id, and the registered name, version and alias it resolved.
     */
    post: {
      parameters: {
        query?: {
          /** @description A model id, name or name@alias; default: DEFAULT_MODEL, else the tenant's only model */
          model?: string;
          /** @description Return the preprocessed 28×28 input of each prediction */
          debug?: '1' | '0' | 'true' | 'false';
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description One 28×28 grayscale image as the model takes it (for an mnist model white on black): 784 numbers 0–255 (row-major), or 28 rows of 28 */
            pixels?: unknown[];
            /** @description A batch of images, answered in order; at most 256 (MAX_BATCH) */
            instances?: unknown[][];
          };
          'multipart/form-data': {
            image?: string[];
          };
          'image/png': string;
          'image/jpeg': string;
          'image/webp': string;
          'image/gif': string;
          'image/bmp': string;
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['PredictResponse'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Predict with a model id, a name (its production alias, else latest) or name@alias */
    post: {
      parameters: {
        query?: {
          /** @description Return the preprocessed 28×28 input of each prediction */
          debug?: '1' | '0' | 'true' | 'false';
        };
        header?: never;
        path: {
          /** @description Resource id */
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description One 28×28 grayscale image as the model takes it (for an mnist model white on black): 784 numbers 0–255 (row-major), or 28 rows of 28 */
            pixels?: unknown[];
            /** @description A batch of images, answered in order; at most 256 (MAX_BATCH) */
            instances?: unknown[][];
          };
          'multipart/form-data': {
            image?: string[];
          };
          'image/png': string;
          'image/jpeg': string;
          'image/webp': string;
          'image/gif': string;
          'image/bmp': string;
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['PredictResponse'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/versions/{version}/predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Predict with one version of a registered model */
    post: {
      parameters: {
        query?: {
          /** @description Return the preprocessed 28×28 input of each prediction */
          debug?: '1' | '0' | 'true' | 'false';
        };
        header?: never;
        path: {
          /** @description A registered model name */
          id: string;
          /** @description A version number */
          version: number;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description One 28×28 grayscale image as the model takes it (for an mnist model white on black): 784 numbers 0–255 (row-major), or 28 rows of 28 */
            pixels?: unknown[];
            /** @description A batch of images, answered in order; at most 256 (MAX_BATCH) */
            instances?: unknown[][];
          };
          'multipart/form-data': {
            image?: string[];
          };
          'image/png': string;
          'image/jpeg': string;
          'image/webp': string;
          'image/gif': string;
          'image/bmp': string;
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['PredictResponse'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/health/live': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 server live */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              live: boolean;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/health/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 server ready: the model storage answers (Redis is not needed to serve models by id) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              ready: boolean;
            };
          };
        };
        /** @description Default Response */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              ready: boolean;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 server metadata */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              version: string;
              extensions: string[];
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 server metadata */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              version: string;
              extensions: string[];
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 model metadata */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2ModelMetadata'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{name}/versions/{version}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 model metadata of a version */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          name: string;
          /** @description A version number */
          version: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2ModelMetadata'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{name}/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 model ready */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              ready: boolean;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{name}/versions/{version}/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** V2 model version ready */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          name: string;
          /** @description A version number */
          version: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              ready: boolean;
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{name}/infer': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** V2 inference (the production alias, else latest) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            id?: string;
            /** @description Key/value parameters (binary_data_size, binary_data, binary_data_output, …) */
            parameters?: {
              [key: string]: unknown;
            };
            inputs: {
              name: string;
              shape: number[];
              datatype: string;
              /** @description Key/value parameters (binary_data_size, binary_data, binary_data_output, …) */
              parameters?: {
                [key: string]: unknown;
              };
              /** @description Tensor contents, row-major, flat or nested */
              data?: unknown[];
            }[];
            outputs?: {
              name: string;
              /** @description Key/value parameters (binary_data_size, binary_data, binary_data_output, …) */
              parameters?: {
                [key: string]: unknown;
              };
            }[];
          };
          'application/octet-stream': string;
        };
      };
      responses: {
        /** @description probabilities (FP32 [N, classes]), class (INT64 [N]), label (BYTES [N]). Outputs asked for in binary follow this JSON, which Inference-Header-Content-Length then measures. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2InferResponse'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{name}/versions/{version}/infer': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** V2 inference with one version */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name */
          name: string;
          /** @description A version number */
          version: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            id?: string;
            /** @description Key/value parameters (binary_data_size, binary_data, binary_data_output, …) */
            parameters?: {
              [key: string]: unknown;
            };
            inputs: {
              name: string;
              shape: number[];
              datatype: string;
              /** @description Key/value parameters (binary_data_size, binary_data, binary_data_output, …) */
              parameters?: {
                [key: string]: unknown;
              };
              /** @description Tensor contents, row-major, flat or nested */
              data?: unknown[];
            }[];
            outputs?: {
              name: string;
              /** @description Key/value parameters (binary_data_size, binary_data, binary_data_output, …) */
              parameters?: {
                [key: string]: unknown;
              };
            }[];
          };
          'application/octet-stream': string;
        };
      };
      responses: {
        /** @description probabilities (FP32 [N, classes]), class (INT64 [N]), label (BYTES [N]). Outputs asked for in binary follow this JSON, which Inference-Header-Content-Length then measures. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2InferResponse'];
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}:predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** TF Serving predict (the production alias, else latest) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name (or a model id) */
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @default serving_default */
            signature_name?: string;
            /** @description Row format: a list of images, each 784 pixels 0–255 (flat, 28×28, 28×28×1) or {"b64": "…"} */
            instances?: unknown;
            /** @description Columnar format: the batch as one tensor, or {"input": batch} */
            inputs?: unknown;
          };
        };
      };
      responses: {
        /** @description "predictions" answers "instances"; "outputs" answers "inputs" */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description One row of class probabilities per image */
              predictions?: number[][];
              /** @description One row of class probabilities per image */
              outputs?: number[][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/versions/{version}:predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** TF Serving predict with one version */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name (or a model id) */
          id: string;
          /** @description A version number */
          version: number;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @default serving_default */
            signature_name?: string;
            /** @description Row format: a list of images, each 784 pixels 0–255 (flat, 28×28, 28×28×1) or {"b64": "…"} */
            instances?: unknown;
            /** @description Columnar format: the batch as one tensor, or {"input": batch} */
            inputs?: unknown;
          };
        };
      };
      responses: {
        /** @description "predictions" answers "instances"; "outputs" answers "inputs" */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description One row of class probabilities per image */
              predictions?: number[][];
              /** @description One row of class probabilities per image */
              outputs?: number[][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/labels/{alias}:predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** TF Serving predict with an alias */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name (or a model id) */
          id: string;
          /** @description An alias */
          alias: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @default serving_default */
            signature_name?: string;
            /** @description Row format: a list of images, each 784 pixels 0–255 (flat, 28×28, 28×28×1) or {"b64": "…"} */
            instances?: unknown;
            /** @description Columnar format: the batch as one tensor, or {"input": batch} */
            inputs?: unknown;
          };
        };
      };
      responses: {
        /** @description "predictions" answers "instances"; "outputs" answers "inputs" */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description One row of class probabilities per image */
              predictions?: number[][];
              /** @description One row of class probabilities per image */
              outputs?: number[][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/metadata': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** TF Serving model metadata (signature_def) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name (or a model id) */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              model_spec: {
                name: string;
                signature_name: string;
                version: string;
              };
              metadata: {
                signature_def: {
                  signature_def: {
                    [key: string]: {
                      inputs: {
                        [key: string]: {
                          dtype: string;
                          tensor_shape: {
                            dim: {
                              size: string;
                              name: string;
                            }[];
                            unknown_rank: boolean;
                          };
                          name: string;
                        };
                      };
                      outputs: {
                        [key: string]: {
                          dtype: string;
                          tensor_shape: {
                            dim: {
                              size: string;
                              name: string;
                            }[];
                            unknown_rank: boolean;
                          };
                          name: string;
                        };
                      };
                      method_name: string;
                    };
                  };
                };
              };
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/versions/{version}/metadata': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** TF Serving metadata of one version */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A registered model name (or a model id) */
          id: string;
          /** @description A version number */
          version: number;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              model_spec: {
                name: string;
                signature_name: string;
                version: string;
              };
              metadata: {
                signature_def: {
                  signature_def: {
                    [key: string]: {
                      inputs: {
                        [key: string]: {
                          dtype: string;
                          tensor_shape: {
                            dim: {
                              size: string;
                              name: string;
                            }[];
                            unknown_rank: boolean;
                          };
                          name: string;
                        };
                      };
                      outputs: {
                        [key: string]: {
                          dtype: string;
                          tensor_shape: {
                            dim: {
                              size: string;
                              name: string;
                            }[];
                            unknown_rank: boolean;
                          };
                          name: string;
                        };
                      };
                      method_name: string;
                    };
                  };
                };
              };
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['V2Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/whoami': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The calling key: its tenant and scopes (any key may ask) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WhoAmI'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/admin/tenants': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Admin keys only: every tenant (or ?tenant=) with its jobs by state, datasets and models
     * @description Tenants are those the API keys name, the default tenant, and any that has submitted a job or stored a dataset. Each is read from its own index and storage prefix.
     */
    get: {
      parameters: {
        query?: {
          /** @description Admin keys only: list this tenant's resources (without it, an admin sees every tenant's) */
          tenant?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: components['schemas']['TenantUsage'][];
            };
          };
        };
        /** @description Default Response */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Default Response */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    /** Error */
    Error: {
      /** @example 400 */
      statusCode: number;
      /**
       * @description HTTP status text
       * @example Bad Request
       */
      error: string;
      /**
       * @description What is wrong, for a person
       * @example body.epochs must be <= 100
       */
      message: string;
      /**
       * @description Stable machine-readable code
       * @example VALIDATION_ERROR
       */
      code?: string;
      /** @description The offending fields of a request refused for its content (VALIDATION_ERROR, multipart fields) */
      errors?: {
        /**
         * @description A JSON pointer (RFC 6901) into the part of the request the message names: the JSON body, the query string or the path parameters, each read as an object; a multipart form is an object of its fields
         * @example /hiddenLayers/0
         */
        path: string;
        /**
         * @description What is wrong with the value at path
         * @example must be >= 1
         */
        message: string;
      }[];
    };
    /** TrainingJob */
    TrainingJob: {
      id: string;
      name: string;
      /**
       * @description The tenant that owns it; shown to admin keys only
       * @example team-a
       */
      tenant?: string;
      /** @enum {string} */
      state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
      dataset: string;
      params: {
        /**
         * @description Passes over the training set
         * @default 5
         */
        epochs: number;
        /**
         * @description Samples per optimizer step
         * @default 64
         */
        batchSize: number;
        /** @default 0.001 */
        learningRate: number;
        /**
         * @description Units of each hidden dense layer
         * @default [
         *       128,
         *       64
         *     ]
         */
        hiddenLayers: number[];
        /**
         * @description Activation of the hidden layers
         * @default relu
         * @enum {string}
         */
        activation: 'relu' | 'tanh' | 'sigmoid' | 'elu';
        /**
         * @default adam
         * @enum {string}
         */
        optimizer: 'adam' | 'sgd' | 'rmsprop';
        /**
         * @description Fraction of the training set held out to report valLoss/valAccuracy each epoch
         * @default 0
         */
        validationSplit: number;
        /** @description Seeds weight initialisation and shuffling: same seed, data and backend give the same model */
        seed: number;
      };
      timeoutSeconds: number | null;
      /** Format: date-time */
      createdAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      progress: {
        /** @description Epochs finished */
        epoch: number;
        epochs: number;
        loss: number | null;
        accuracy: number | null;
        valLoss?: number;
        valAccuracy?: number;
        samplesPerSecond: number | null;
        history: {
          epoch: number;
          /** @description Mean training loss over the epoch */
          loss: number;
          accuracy: number;
          valLoss?: number;
          valAccuracy?: number;
          /** @description Wall time of the epoch */
          seconds: number;
        }[];
        /** @description The epoch under way, reported about once a second while it runs */
        current?: {
          epoch: number;
          /** @description Training samples of this epoch done so far */
          samples: number;
          samplesTotal: number;
        };
      };
      /** @description The registered model this job adds a version to */
      model: string;
      promote: {
        /**
         * @description An alias: a lower-case slug of 1–32 characters (`latest` is kept by the registry)
         * @example production
         */
        alias: string;
        if?: {
          /**
           * @description testAccuracy: higher is better; testLoss: lower
           * @enum {string}
           */
          metric: 'testAccuracy' | 'testLoss';
          /** @description The metric must be at least this */
          atLeast?: number;
          /** @description The metric must be at most this */
          atMost?: number;
          /** @description The metric must beat that of the version the alias holds now */
          betterThanCurrent?: boolean;
        };
      } | null;
      modelId: string | null;
      modelVersion: number | null;
      promotion: {
        alias: string;
        promoted: boolean;
        /** @description Why it was or was not promoted */
        reason: string;
        from: number | null;
      } | null;
      metrics: {
        /** @description Mean cross-entropy on the test split */
        testLoss: number;
        testAccuracy: number;
        /** @description Test split counts: row = true class, column = predicted class */
        confusionMatrix?: number[][];
        /** @description Per class, index = class */
        perClass?: {
          /** @description Class name */
          label: string;
          /** @description Share of predictions of this class that were right */
          precision: number;
          /** @description Share of test images of this class found */
          recall: number;
          /** @description Test images of this class */
          support: number;
        }[];
      } | null;
      error: {
        message: string;
      } | null;
    };
    /** Model */
    Model: {
      id: string;
      name: string;
      /**
       * @description The tenant that owns it; shown to admin keys only
       * @example team-a
       */
      tenant?: string;
      /** Format: date-time */
      createdAt: string;
      /** @description The training job that produced it */
      jobId: string;
      dataset: string;
      params: {
        /**
         * @description Passes over the training set
         * @default 5
         */
        epochs: number;
        /**
         * @description Samples per optimizer step
         * @default 64
         */
        batchSize: number;
        /** @default 0.001 */
        learningRate: number;
        /**
         * @description Units of each hidden dense layer
         * @default [
         *       128,
         *       64
         *     ]
         */
        hiddenLayers: number[];
        /**
         * @description Activation of the hidden layers
         * @default relu
         * @enum {string}
         */
        activation: 'relu' | 'tanh' | 'sigmoid' | 'elu';
        /**
         * @default adam
         * @enum {string}
         */
        optimizer: 'adam' | 'sgd' | 'rmsprop';
        /**
         * @description Fraction of the training set held out to report valLoss/valAccuracy each epoch
         * @default 0
         */
        validationSplit: number;
        /** @description Seeds weight initialisation and shuffling: same seed, data and backend give the same model */
        seed: number;
      };
      metrics: {
        /** @description Mean cross-entropy on the test split */
        testLoss: number;
        testAccuracy: number;
        /** @description Test split counts: row = true class, column = predicted class */
        confusionMatrix?: number[][];
        /** @description Per class, index = class */
        perClass?: {
          /** @description Class name */
          label: string;
          /** @description Share of predictions of this class that were right */
          precision: number;
          /** @description Share of test images of this class found */
          recall: number;
          /** @description Test images of this class */
          support: number;
        }[];
      };
      /**
       * @description What trained it: native (the OpenBLAS addon) or a TensorFlow.js backend
       * @example native
       */
      backend: string;
      inputShape: [28, 28];
      /** @description Class names, index = class */
      labels: string[];
      /**
       * @description How images become 28×28 input: mnist (invert a light background, crop, fit 20×20, centre by mass) or fit (letterbox to 28×28)
       * @enum {string}
       */
      preprocess: 'mnist' | 'fit';
      /** @description model.json plus weights */
      sizeBytes: number;
    };
    /** RegisteredModel */
    RegisteredModel: {
      name: string;
      /**
       * @description The tenant that owns it; shown to admin keys only
       * @example team-a
       */
      tenant?: string;
      /** Format: date-time */
      createdAt: string;
      description: string;
      /** @description At most 20 tags, keys of 1–64 letters, digits and _.:-, values up to 256 characters */
      tags: {
        [key: string]: string;
      };
      latestVersion: number;
      /** @description Alias → version, latest included */
      aliases: {
        [key: string]: number;
      };
      /** @description TF Serving's model status (GET of a model or of one version only) */
      model_version_status?: {
        version: string;
        /** @description AVAILABLE: every registered version can be served */
        state: string;
        status: {
          error_code: string;
          error_message: string;
        };
      }[];
    };
    /** ModelVersion */
    ModelVersion: {
      name: string;
      version: number;
      /** @description The stored model: /v1/models/{id}/model.json */
      id: string;
      /**
       * @description The tenant that owns it; shown to admin keys only
       * @example team-a
       */
      tenant?: string;
      /** Format: date-time */
      createdAt: string;
      description: string;
      /** @description At most 20 tags, keys of 1–64 letters, digits and _.:-, values up to 256 characters */
      tags: {
        [key: string]: string;
      };
      /** @description Aliases pointing at this version, latest included */
      aliases: string[];
      metrics: {
        /** @description Mean cross-entropy on the test split */
        testLoss: number;
        testAccuracy: number;
        /** @description Test split counts: row = true class, column = predicted class */
        confusionMatrix?: number[][];
        /** @description Per class, index = class */
        perClass?: {
          /** @description Class name */
          label: string;
          /** @description Share of predictions of this class that were right */
          precision: number;
          /** @description Share of test images of this class found */
          recall: number;
          /** @description Test images of this class */
          support: number;
        }[];
      };
      lineage: {
        jobId: string;
        params: {
          /**
           * @description Passes over the training set
           * @default 5
           */
          epochs: number;
          /**
           * @description Samples per optimizer step
           * @default 64
           */
          batchSize: number;
          /** @default 0.001 */
          learningRate: number;
          /**
           * @description Units of each hidden dense layer
           * @default [
           *       128,
           *       64
           *     ]
           */
          hiddenLayers: number[];
          /**
           * @description Activation of the hidden layers
           * @default relu
           * @enum {string}
           */
          activation: 'relu' | 'tanh' | 'sigmoid' | 'elu';
          /**
           * @default adam
           * @enum {string}
           */
          optimizer: 'adam' | 'sgd' | 'rmsprop';
          /**
           * @description Fraction of the training set held out to report valLoss/valAccuracy each epoch
           * @default 0
           */
          validationSplit: number;
          /** @description Seeds weight initialisation and shuffling: same seed, data and backend give the same model */
          seed: number;
        };
        seed: number;
        dataset: string;
        /** @description SHA-256 over the dataset's four IDX files, un-gzipped, in order */
        datasetDigest: string;
        backend: string;
        serviceVersion: string;
        /** @description The caller that submitted the job */
        createdBy: string;
      };
      /** @description TF Serving's model status (GET of a model or of one version only) */
      model_version_status?: {
        version: string;
        /** @description AVAILABLE: every registered version can be served */
        state: string;
        status: {
          error_code: string;
          error_message: string;
        };
      }[];
    };
    /** Dataset */
    Dataset: {
      /** @example mnist-sample */
      id: string;
      name: string;
      builtin: boolean;
      tenant?: string | null;
      /** @description Whether jobs can train on it now */
      available: boolean;
      /** @description Why it is unavailable, or how it will be fetched */
      note?: string;
      trainSize: number;
      testSize: number;
      imageShape: [28, 28];
      /** @description Number of classes (at most MAX_CLASSES for new datasets; 0 while importing) */
      classes: number;
      /** @description Class names, index = class (empty while importing) */
      labels: string[];
      /**
       * @description How images become 28×28 input: mnist (invert a light background, crop, fit 20×20, centre by mass) or fit (letterbox to 28×28)
       * @enum {string}
       */
      preprocess: 'mnist' | 'fit';
      createdAt: string | null;
      /** @description importing: the dataset-import job has not finished (jobs on it wait); ready: trainable; failed: see `import.error` (jobs on it are refused with 409) */
      state?: 'importing' | 'ready' | 'failed';
      /** @description Classes are the folder names (or CSV labels) sorted by Unicode code point; label i is the i-th of them. */
      import?: {
        format: 'zip' | 'tar' | 'tar.gz' | 'csv';
        /**
         * @description How images become 28×28 input: mnist (invert a light background, crop, fit 20×20, centre by mass) or fit (letterbox to 28×28)
         * @enum {string}
         */
        preprocess: 'mnist' | 'fit';
        /** @description The share of each class drawn into the test split when none is given */
        testSplit: number;
        /** @description Seed of the stratified test split */
        seed: number;
        progress: {
          /** @description Archive entries or CSV rows read so far */
          filesRead: number;
          imagesKept: number;
          imagesSkipped: number;
        };
        report?: {
          /** @description Images per class per split, in class order */
          classes: {
            label: string;
            train: number;
            test: number;
          }[];
          /** @description The first 1,000 skipped files with their reason */
          skipped: {
            /** @description The path in the archive, or `trainCsv:row 12` */
            file: string;
            /** @description not an image, corrupt, unsupported format, too large, outside a class folder, duplicate name, … */
            reason: string;
          }[];
          /** @description All skipped files, listed or not */
          skippedCount: number;
        };
        /** @description Why the import failed */
        error?: string;
        /** Format: date-time */
        finishedAt?: string;
      };
    };
    /** PredictResponse */
    PredictResponse: {
      modelId: string;
      model: {
        name: string | null;
        version: number | null;
        alias: string | null;
      };
      predictions: {
        /** @description Most likely class name */
        label: string;
        /** @description Its index in the model's labels */
        class: number;
        confidence: number;
        /** @description One per class of the model, index = class, summing to 1 */
        probabilities: number[];
        /** @description With ?debug=1: the 784 pixels the model saw after preprocessing */
        input?: number[];
      }[];
    };
    /** TenantUsage */
    TenantUsage: {
      /**
       * @description The tenant that owns the resource: a slug of 1–32 lower-case letters, digits and dashes
       * @example team-a
       */
      tenant: string;
      /** @description The tenant's jobs by state (as kept: finished jobs for the retention period) */
      jobs: {
        queued: number;
        running: number;
        completed: number;
        failed: number;
        cancelled: number;
      };
      datasets: {
        count: number;
        /** @description As stored, uncompressed */
        bytes: number;
      };
      models: {
        count: number;
        bytes: number;
      };
      /** @description The limits each quota owner is held to: the tenant, or for the default tenant each of its keys (or client addresses) */
      quotas: {
        /** @description MAX_QUEUED_JOBS_PER_KEY (0: no limit) */
        queuedJobs: number;
        /** @description MAX_RUNNING_JOBS_PER_KEY (0: no limit) */
        runningJobs: number;
        /** @description MAX_DATASETS_PER_KEY */
        datasets: number;
        /** @description MAX_DATASET_STORAGE_PER_KEY */
        datasetBytes: number;
      };
    };
    /** WhoAmI */
    WhoAmI: {
      /** @description `key:<12 hex of the key digest>`, or `ip:<address>` while the service runs open */
      caller: string;
      /**
       * @description The tenant that owns the resource: a slug of 1–32 lower-case letters, digits and dashes
       * @example team-a
       */
      tenant: string;
      scopes: ('train' | 'predict' | 'admin')[];
      /** @description Whether the service requires API keys */
      keyed: boolean;
    };
    /** V2Error */
    V2Error: {
      /** @description What is wrong, for a person */
      error: string;
    };
    /**
     * V2InferResponse
     * @description probabilities (FP32 [N, classes]), class (INT64 [N]), label (BYTES [N]). Outputs asked for in binary follow this JSON, which Inference-Header-Content-Length then measures.
     */
    V2InferResponse: {
      model_name: string;
      model_version: string;
      id?: string;
      outputs: {
        /** @enum {string} */
        name: 'probabilities' | 'class' | 'label';
        datatype: string;
        shape: number[];
        parameters?: {
          binary_data_size: number;
        };
        data?: (number | string)[];
      }[];
    };
    /** V2ModelMetadata */
    V2ModelMetadata: {
      name: string;
      versions: string[];
      platform: string;
      inputs: {
        name: string;
        datatype: string;
        shape: number[];
      }[];
      outputs: {
        name: string;
        datatype: string;
        shape: number[];
      }[];
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
