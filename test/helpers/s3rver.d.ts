// s3rver ships no types; this is the part the tests use.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverContext {
    method: string;
    path: string;
    headers: IncomingMessage['headers'];
    status: number;
    type: string;
    body: unknown;
    req: IncomingMessage;
    res: ServerResponse;
  }
  type Middleware = (ctx: S3rverContext, next: () => Promise<void>) => Promise<void>;

  export default class S3rver {
    constructor(options: {
      port?: number;
      address?: string;
      silent?: boolean;
      directory: string;
      configureBuckets?: { name: string }[];
    });
    middleware: Middleware[];
    store: { existsObject(bucket: string, key: string): Promise<boolean> };
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
