/**
 * The hostile corpus: requests an attacker could send, each with the answer the service must
 * give. `corpus.test.ts` replays every case against real API processes (one with API keys, one
 * running open) and checks, besides each case's own expectations, that `/healthz` kept
 * answering while the case ran and that the process is still alive afterwards. `npm run bench`
 * replays the same cases while predictions run under load.
 */

export type Target = 'keyed' | 'open';

export interface HostileContext {
  /** Base URL (`http://127.0.0.1:<port>`) of the API process the case targets. */
  url: string;
  /** Keys of the keyed process (the open one ignores them). */
  keys: { train: string; predict: string; otherTrain: string; admin: string };
  /** A trained model stored before the processes started (id usable in /v1/models/{id}/...). */
  modelId: string;
}

export interface HostileRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'OPTIONS';
  /** Path and query, starting with `/`. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface HostileExpectation {
  /** The status, or any of several. */
  status: number | number[];
  /** The error shape's `code`, when the answer is an error. */
  code?: string | string[];
  /** What the error message must say. */
  message?: RegExp;
}

interface CaseBase {
  /** Short and unique: printed by the test runner and the bench. */
  name: string;
  /** Which process it targets; default 'keyed'. */
  target?: Target;
}

/** A single request and the answer it must get. */
export interface RequestCase extends CaseBase {
  request(ctx: HostileContext): HostileRequest | Promise<HostileRequest>;
  expect: HostileExpectation;
}

/** A case that runs itself (floods, streams held open, several steps) and asserts what it must. */
export interface CustomCase extends CaseBase {
  run(ctx: HostileContext): Promise<void>;
}

export type HostileCase = RequestCase | CustomCase;

/** One file of cases under `test/hostile/cases/`, with the settings its cases rely on. */
export interface CaseFile {
  /** Settings both API processes get (small limits so that the cases reach them quickly). */
  env?: Record<string, string>;
  cases: HostileCase[];
}

export const isCustom = (c: HostileCase): c is CustomCase => 'run' in c;
