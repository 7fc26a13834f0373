import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseStorageUrl } from '../../src/storage/index.js';
import { storageFromConfig } from '../../src/stores.js';

describe('parseStorageUrl', () => {
  it.each([
    ['', { kind: 'file', dir: './data' }],
    ['file:', { kind: 'file', dir: './data' }],
    ['file:/srv/trainyard', { kind: 'file', dir: '/srv/trainyard' }],
    ['file:///srv/trainyard', { kind: 'file', dir: '/srv/trainyard' }],
    ['file:relative/dir', { kind: 'file', dir: 'relative/dir' }],
    ['s3://models-bucket', { kind: 's3', bucket: 'models-bucket', prefix: '' }],
    ['s3://models-bucket/', { kind: 's3', bucket: 'models-bucket', prefix: '' }],
    ['s3://models-bucket/prod/trainyard/', { kind: 's3', bucket: 'models-bucket', prefix: 'prod/trainyard/' }],
    ['s3://my.bucket-1/x', { kind: 's3', bucket: 'my.bucket-1', prefix: 'x/' }],
  ])('reads %j', (url, target) => {
    expect(parseStorageUrl(url, './data')).toEqual(target);
  });

  it('refuses what is neither', () => {
    expect(() => parseStorageUrl('http://bucket', './data')).toThrow(
      'STORAGE_URL "http://bucket" is neither file:<dir> nor s3://bucket/prefix',
    );
  });
});

describe('storage settings', () => {
  it('default to the filesystem under DATA_DIR', () => {
    const config = loadConfig({ DATA_DIR: '/var/lib/trainyard' });
    expect([config.STORAGE_URL, config.S3_ENDPOINT, config.S3_FORCE_PATH_STYLE]).toEqual(['', '', false]);
    expect(storageFromConfig(config).location).toBe('file:/var/lib/trainyard');
  });

  it('convert S3_FORCE_PATH_STYLE and name every bad value', () => {
    expect(loadConfig({ S3_FORCE_PATH_STYLE: 'true' }).S3_FORCE_PATH_STYLE).toBe(true);
    let error: unknown;
    try {
      loadConfig({ STORAGE_URL: 's3://B', S3_ENDPOINT: 'minio:9000', S3_FORCE_PATH_STYLE: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ['STORAGE_URL="s3://B"', 'S3_ENDPOINT="minio:9000"', 'S3_FORCE_PATH_STYLE="maybe"']) {
      expect((error as Error).message).toContain(name);
    }
  });
});
