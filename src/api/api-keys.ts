import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config.js';
import { DEFAULT_TENANT, SCOPES, TENANT_NAME, quotaOwnerOf, type Scope } from '../schemas/tenant.js';

export { SCOPES, quotaOwnerOf, type Scope } from '../schemas/tenant.js';

/** Who is calling, as far as logs, ownership, rate limits and quotas need to know: never the key itself. */
export interface Caller {
  /** `key:<12 hex of the key's SHA-256>` or `ip:<address>` when the service runs without keys. */
  id: string;
  /** The tenant whose resources the caller sees and creates. */
  tenant: string;
  scopes: readonly Scope[];
  /**
   * Whom the quotas count: the tenant for keys that name one; for the default tenant (keys of the
   * old `key:scope` form, open mode) each key or address, as before tenants existed.
   */
  quotaOwner: string;
}

export const hasScope = (caller: Pick<Caller, 'scopes'> | undefined, scope: Scope): boolean =>
  !!caller?.scopes.includes(scope);

export interface Keyring {
  readonly size: number;
  /** The caller a presented key belongs to, or undefined. Takes the same time whichever key matches. */
  verify(presented: string): Caller | undefined;
  /** The tenants the keys name, sorted. */
  tenants(): string[];
  /** The callers (id `key:<digest prefix>`, tenant, scopes), for telling what a re-read changed. */
  callers(): Caller[];
  /** Whether a caller's key is still held with the same tenant and scopes: a stream opened otherwise is ended. */
  holds(caller: Caller): boolean;
  /** Takes the keys of another keyring (a re-read keys file); callers with removed keys are refused from then on. */
  replace(next: Keyring): void;
}

interface StoredKey {
  digest: Buffer;
  caller: Caller;
}

const MIN_KEY_LENGTH = 16;
const HASHED_KEY = /^sha256:([0-9a-f]{64})$/i;
const SCOPE_LIST = new RegExp(`^(?:${SCOPES.join('|')})(?:\\+(?:${SCOPES.join('|')}))*$`);

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * One entry: `key:scopes:tenant` (scopes joined by `+`), or the old `key:scope` as tenant
 * `default`. The key may be written `sha256:<64 hex>`, its digest, so a keys file need not hold
 * keys in plain text. Read from the right: a key may itself contain colons.
 */
function parseEntry(entry: string, where: string): StoredKey {
  const parts = entry.split(':');
  let tenant = DEFAULT_TENANT;
  if (parts.length >= 3 && !SCOPE_LIST.test(parts.at(-1)!)) tenant = parts.pop()!;
  const scopeText = parts.length >= 2 ? parts.pop()! : '';
  const key = parts.join(':');
  if (!SCOPE_LIST.test(scopeText)) {
    throw new ConfigError(
      `${where} must be "key:scopes:tenant" (or the older "key:scope") with scopes from ${SCOPES.join(', ')} joined by "+"`,
    );
  }
  if (!TENANT_NAME.test(tenant)) {
    throw new ConfigError(`${where}: tenant names are 1–32 lower-case letters, digits and dashes`);
  }
  // `key:train:admin` would read as an admin key "key:train": tenants are never named like scopes.
  if (SCOPE_LIST.test(key.split(':').at(-1) ?? '') && key.includes(':')) {
    throw new ConfigError(
      `${where} is ambiguous: a tenant may not be named ${SCOPES.join(', ')} or a "+" list of them`,
    );
  }
  const hashed = HASHED_KEY.exec(key);
  if (!hashed && (key.length < MIN_KEY_LENGTH || /\s/.test(key))) {
    throw new ConfigError(
      `${where}: a key must be at least ${MIN_KEY_LENGTH} characters without spaces, or "sha256:" and 64 hex digits`,
    );
  }
  const digest = hashed ? Buffer.from(hashed[1]!, 'hex') : sha256(key);
  const id = `key:${digest.toString('hex').slice(0, 12)}`;
  const scopes = [...new Set(scopeText.split('+') as Scope[])];
  return { digest, caller: { id, tenant, scopes, quotaOwner: quotaOwnerOf(tenant, id) } };
}

/**
 * Parses entries separated by commas or new lines; `#` starts a comment. Errors name the entry
 * by its position, never by the key.
 */
export function parseApiKeys(text: string, source: string): Keyring {
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const keys = entries.map((entry, i) => parseEntry(entry, `${source}: entry ${i + 1}`));
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    const hex = key.digest.toString('hex');
    if (seen.has(hex)) throw new ConfigError(`${source}: entry ${i + 1} repeats an earlier key`);
    seen.add(hex);
  });
  return keyring(keys);
}

/** One key with the same tenant and scopes: a re-read that moves a key or narrows it makes another caller. */
export const sameCaller = (a: Caller, b: Caller): boolean =>
  a.id === b.id && a.tenant === b.tenant && [...a.scopes].sort().join('+') === [...b.scopes].sort().join('+');

function keyring(initial: StoredKey[]): Keyring {
  let keys = initial;
  const ring = {
    get size() {
      return keys.length;
    },
    keys: () => keys,
    verify(presented: string) {
      // Digests have one length, so timingSafeEqual never throws, and every key is compared:
      // the time taken says nothing about which key, or how much of one, matched.
      const digest = sha256(presented);
      let found: Caller | undefined;
      for (const key of keys) if (timingSafeEqual(key.digest, digest)) found = key.caller;
      return found;
    },
    tenants: () => [...new Set(keys.map((k) => k.caller.tenant))].sort(),
    callers: () => keys.map((k) => k.caller),
    holds: (caller: Caller) => keys.some((k) => sameCaller(k.caller, caller)),
    replace(next: Keyring) {
      keys = (next as typeof ring).keys();
    },
  };
  return ring;
}

/** The keys API_KEYS and API_KEYS_FILE configure together, or undefined when the service runs open. */
export function keyringFromConfig(config: Pick<Config, 'API_KEYS' | 'API_KEYS_FILE'>): Keyring | undefined {
  let text = config.API_KEYS;
  if (config.API_KEYS_FILE) {
    try {
      text += `\n${readFileSync(config.API_KEYS_FILE, 'utf8')}`;
    } catch (err) {
      throw new ConfigError(`API_KEYS_FILE: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  const ring = parseApiKeys(text, config.API_KEYS_FILE ? 'API_KEYS/API_KEYS_FILE' : 'API_KEYS');
  if (ring.size === 0 && (config.API_KEYS || config.API_KEYS_FILE)) {
    throw new ConfigError('API_KEYS/API_KEYS_FILE are set but hold no key: refusing to run open by mistake');
  }
  return ring.size > 0 ? ring : undefined;
}
