import docs from './swagger.js';
import errors from './errors.js';
import multipart from './multipart.js';
import schemas from './schemas.js';

/**
 * Application-wide plugins, in registration order. Listed rather than autoloaded: the list
 * works the same from compiled JS and from TypeScript under the test runner.
 */
export const plugins = [errors, schemas, docs, multipart];
