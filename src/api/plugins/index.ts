import auth from './auth.js';
import docs from './swagger.js';
import errors from './errors.js';
import metrics from './metrics.js';
import multipart from './multipart.js';
import rateLimit from './rate-limit.js';
import sharedSchemas from './shared-schemas.js';
import security from './security.js';

/**
 * Application-wide plugins, in registration order. Listed rather than autoloaded: the list
 * works the same from compiled JS and from TypeScript under the test runner. The order matters:
 * metrics time every response, auth identifies the caller that rate limits count against.
 */
export const plugins = [errors, sharedSchemas, docs, security, metrics, auth, rateLimit, multipart];
