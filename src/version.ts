import { createRequire } from 'node:module';

/** The service's version, from package.json (one level above src/ and dist/ alike): recorded in each model's lineage. */
export const SERVICE_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
