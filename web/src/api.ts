import type { ErrorBody, FieldError } from './types.js';

const KEY_STORAGE = 'trainyard.apiKey';

/** A non-2xx answer, carrying the service's error message, code and the fields it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const apiKey = {
  get(): string | null {
    try {
      return localStorage.getItem(KEY_STORAGE);
    } catch {
      return null; // storage disabled (private mode, policy): work without a saved key
    }
  },
  set(key: string | null) {
    try {
      if (key) localStorage.setItem(KEY_STORAGE, key);
      else localStorage.removeItem(KEY_STORAGE);
    } catch {
      // Not persisted; the key still applies to requests made from this page until reload.
    }
    memoryKey = key;
  },
};
let memoryKey: string | null = null;
const currentKey = () => apiKey.get() ?? memoryKey;

/** Asks the person for a key; resolves null when they decline. */
export type KeyPrompt = (reason: string) => Promise<string | null>;
let prompt: KeyPrompt = async () => null;
let openPrompt: Promise<string | null> | undefined;
// After someone dismisses the dialog, background refreshes stop reopening it; the header button still does.
let declined = false;

export function setKeyPrompt(fn: KeyPrompt) {
  prompt = fn;
}

/** Opens the key dialog once for any number of requests refused at the same moment. */
export async function askForKey(reason: string, force = false): Promise<string | null> {
  if (declined && !force) return null;
  openPrompt ??= prompt(reason).finally(() => (openPrompt = undefined));
  const key = await openPrompt;
  declined = key === null;
  if (key !== null) apiKey.set(key);
  return key;
}

/** fetch() with the saved key; a 401 asks for a key and sends the request again with it. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(init.headers);
    const key = currentKey();
    if (key) headers.set('authorization', `Bearer ${key}`);
    const res = await fetch(path, { ...init, headers });
    if (res.status !== 401 || attempt === 3) return res;
    // A key entered while this request was out: try again with it before asking.
    if (currentKey() !== key) continue;
    const reason = key ? 'The service refused the saved API key.' : 'The service asks for an API key.';
    if ((await askForKey(reason)) === null) return res;
  }
}

/** A JSON call: the parsed body, or an ApiError with the service's message. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await apiFetch(path, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = body as Partial<ErrorBody> | undefined;
    throw new ApiError(res.status, err?.message ?? `${res.status} ${res.statusText}`, err?.code, err?.errors);
  }
  return body as T;
}

export const postJson = <T>(path: string, value: unknown) =>
  api<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
