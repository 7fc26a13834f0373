import { createHash } from 'node:crypto';
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
    expect(ring.verify(TRAIN)).toEqual({
      id: expect.stringMatching(/^key:[0-9a-f]{12}$/),
      tenant: 'default',
      scopes: ['train'],
      quotaOwner: ring.verify(TRAIN)?.id,
    });
    expect(ring.verify(PREDICT)?.scopes).toEqual(['predict']);
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
    [
      `${TRAIN}:owner`,
      /entry 1 must be "key:scopes:tenant" \(or the older "key:scope"\) with scopes from train, predict, admin/,
    ],
    [`${TRAIN}`, /entry 1 must be "key:scopes:tenant"/],
    [`${TRAIN}:train:Team_A`, /entry 1: tenant names are 1–32 lower-case letters/],
    [`${TRAIN}:train:${'a'.repeat(33)}`, /entry 1: tenant names are 1–32/],
    [`${TRAIN}:train:admin`, /entry 1 is ambiguous: a tenant may not be named train, predict, admin/],
    [`${TRAIN}:train+bogus:team-a`, /entry 1 must be "key:scopes:tenant"/],
    [`sha256:abc:train:team-a`, /entry 1: a key must be at least 16 characters/],
    [`${TRAIN}:train:team-a,${TRAIN}:predict:team-b`, /entry 2 repeats an earlier key/],
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

  it('reads key:scopes:tenant, scopes joined by +, and keys given as their SHA-256', () => {
    const digest = createHash('sha256').update(PREDICT).digest('hex');
    const ring = parseApiKeys(
      `${TRAIN}:train+predict:team-a\nsha256:${digest}:predict:team-b\n${'x'.repeat(20)}:admin:ops`,
      'f',
    );
    expect(ring.verify(TRAIN)).toMatchObject({
      tenant: 'team-a',
      scopes: ['train', 'predict'],
      quotaOwner: 'tenant:team-a',
    });
    expect(ring.verify(PREDICT)).toMatchObject({
      tenant: 'team-b',
      scopes: ['predict'],
      id: `key:${digest.slice(0, 12)}`,
    });
    expect(ring.verify(`sha256:${digest}`)).toBeUndefined(); // the digest is not itself a key
    expect(ring.verify('x'.repeat(20))).toMatchObject({ tenant: 'ops', scopes: ['admin'] });
    expect(ring.tenants()).toEqual(['ops', 'team-a', 'team-b']);
  });

  it('takes the keys of a re-read keyring, refusing removed keys from then on', () => {
    const ring = parseApiKeys(`${TRAIN}:train:team-a`, 'f');
    ring.replace(parseApiKeys(`${PREDICT}:predict:team-b`, 'f'));
    expect(ring.verify(TRAIN)).toBeUndefined();
    expect(ring.verify(PREDICT)?.tenant).toBe('team-b');
    expect(ring.size).toBe(1);
  });
});
