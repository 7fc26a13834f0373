import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config.js';

export const SCOPES = ['train', 'predict'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, as far as logs, rate limits and quotas need to know: never the key itself. */
export interface Caller {
  /** `key:<12 hex of the key's SHA-256>` or `ip:<address>` when the service runs without keys. */
  id: string;
  scope: Scope;
}

export interface Keyring {
  readonly size: number;
  /** The caller a presented key belongs to, or undefined. Takes the same time whichever key matches. */
  verify(presented: string): Caller | undefined;
}

interface StoredKey {
  digest: Buffer;
  caller: Caller;
}

const MIN_KEY_LENGTH = 16;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Parses `key:scope` entries separated by commas or new lines; `#` starts a comment. Errors
 * name the entry by its position, never by the key.
 */
export function parseApiKeys(text: string, source: string): Keyring {
  const keys: StoredKey[] = [];
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  entries.forEach((entry, i) => {
    const at = entry.lastIndexOf(':');
    const key = at < 0 ? entry : entry.slice(0, at);
    const scope = at < 0 ? '' : entry.slice(at + 1);
    const where = `${source}: entry ${i + 1}`;
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new ConfigError(`${where} must be "key:scope" with scope ${SCOPES.join(' or ')}`);
    }
    if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
      throw new ConfigError(`${where}: a key must be at least ${MIN_KEY_LENGTH} characters without spaces`);
    }
    const digest = sha256(key);
    keys.push({ digest, caller: { id: `key:${digest.toString('hex').slice(0, 12)}`, scope: scope as Scope } });
  });
  return keyring(keys);
}

function keyring(keys: StoredKey[]): Keyring {
  return {
    size: keys.length,
    verify(presented) {
      // Digests have one length, so timingSafeEqual never throws, and every key is compared:
      // the time taken says nothing about which key, or how much of one, matched.
      const digest = sha256(presented);
      let found: Caller | undefined;
      for (const key of keys) if (timingSafeEqual(key.digest, digest)) found = key.caller;
      return found;
    },
  };
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
