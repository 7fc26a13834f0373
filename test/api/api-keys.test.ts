import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyringFromConfig, parseApiKeys } from '../../src/api/api-keys.js';
import { ConfigError } from '../../src/config.js';

const TRAIN = 'train-key-0123456789abcdef';
const PREDICT = 'predict-key-0123456789abcd';

describe('API keys', () => {
  it('parses key:scope entries separated by commas and lines, with comments', () => {
    const ring = parseApiKeys(`${TRAIN}:train, # the trainer\n${PREDICT}:predict\n\n`, 'API_KEYS');
    expect(ring.size).toBe(2);
    expect(ring.verify(TRAIN)).toEqual({ id: expect.stringMatching(/^key:[0-9a-f]{12}$/), scope: 'train' });
    expect(ring.verify(PREDICT)?.scope).toBe('predict');
    expect(ring.verify(TRAIN)?.id).not.toBe(ring.verify(PREDICT)?.id);
  });

  it('refuses keys that differ by a character, a prefix or an extension', () => {
    const ring = parseApiKeys(`${TRAIN}:train`, 'API_KEYS');
    expect(ring.verify(TRAIN.slice(0, -1) + 'x')).toBeUndefined();
    expect(ring.verify(TRAIN.slice(0, -1))).toBeUndefined();
    expect(ring.verify(`${TRAIN}0`)).toBeUndefined();
    expect(ring.verify('')).toBeUndefined();
  });

  it.each([
    [`${TRAIN}:admin`, /entry 1 must be "key:scope" with scope train or predict/],
    [`${TRAIN}`, /entry 1 must be "key:scope"/],
    [`${TRAIN}:train,short:predict`, /entry 2: a key must be at least 16 characters/],
  ])('refuses %s without echoing the key', (text, message) => {
    let error: unknown;
    try {
      parseApiKeys(text, 'API_KEYS');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(TRAIN);
  });

  it('reads API_KEYS_FILE as well as API_KEYS, and runs open only when neither is set', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'keys-')), 'keys.txt');
    await writeFile(file, `# keys\n${PREDICT}:predict\n`);
    const ring = keyringFromConfig({ API_KEYS: `${TRAIN}:train`, API_KEYS_FILE: file });
    expect(ring?.size).toBe(2);
    expect(keyringFromConfig({ API_KEYS: '', API_KEYS_FILE: '' })).toBeUndefined();
    expect(() => keyringFromConfig({ API_KEYS: '', API_KEYS_FILE: join(file, 'missing') })).toThrow(
      /API_KEYS_FILE: cannot read it \(ENOTDIR\)/,
    );
    await writeFile(file, '# nothing yet\n');
    expect(() => keyringFromConfig({ API_KEYS: '', API_KEYS_FILE: file })).toThrow(/hold no key/);
  });
});
