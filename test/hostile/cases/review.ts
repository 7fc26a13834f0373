/**
 * Cases an independent attack found after the first hardening: images that are cheap to send and
 * costly to convert, bursts that would hold every thread of libuv's pool, and DNS rebinding.
 */
import sharp from 'sharp';
import { expect } from 'vitest';
import { bearer, multipartBody, send } from '../send.js';
import type { CaseFile, HostileContext } from '../types.js';

const once = <T>(make: () => Promise<T>) => {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
};

/** 512×512 of isolated dots (every other pixel of every other row) and two corner blocks: ~2 KB as PNG. */
const speckled = once(() => {
  const side = 512;
  const gray = Buffer.alloc(side * side);
  for (let y = 0; y < side; y += 2) for (let x = 0; x < side; x += 2) gray[y * side + x] = 255;
  for (let y = 0; y < 4; y++)
    for (let x = 0; x < 4; x++) gray[y * side + x] = gray[(side - 1 - y) * side + (side - 1 - x)] = 255;
  return sharp(gray, { raw: { width: side, height: side, channels: 1 } })
    .png()
    .toBuffer();
});

/** A 4096×4096 interlaced RGBA PNG of zeros: a few hundred KB that take a sharp thread ~0.4 s. */
const bigInterlaced = once(() =>
  sharp({ create: { width: 4096, height: 4096, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png({ progressive: true })
    .toBuffer(),
);

async function batch(ctx: HostileContext, images: Buffer[]) {
  const { body, contentType } = await multipartBody(images.map((img, i) => ['image', img, `${i}.png`]));
  return send(ctx, {
    method: 'POST',
    path: `/v1/models/${ctx.modelId}/predict`,
    headers: { 'content-type': contentType, ...bearer(ctx.keys.predict) },
    body,
  });
}

const file: CaseFile = {
  env: { ALLOWED_HOSTS: 'trainyard.internal' },
  cases: [
    {
      name: 'a batch of 64 speckled 512×512 images is converted a turn at a time',
      async run(ctx) {
        const res = await batch(ctx, Array<Buffer>(64).fill(await speckled()));
        expect(res.status).toBe(200);
        expect((res.json?.predictions as unknown[]).length).toBe(64);
      },
    },
    {
      name: 'eight requests of four 4096² interlaced PNGs leave threads for storage: readiness stays up',
      async run(ctx) {
        const image = await bigInterlaced();
        const ready: number[] = [];
        let going = true;
        const probe = (async () => {
          while (going) {
            ready.push((await send(ctx, { method: 'GET', path: '/readyz' })).status);
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        const answers = await Promise.all(Array.from({ length: 8 }, () => batch(ctx, [image, image, image, image])));
        going = false;
        await probe;
        for (const res of answers) expect([200, 503]).toContain(res.status);
        for (const res of answers.filter((r) => r.status === 503)) expect(res.json?.code).toBe('DECODER_BUSY');
        expect(ready.filter((s) => s !== 200)).toEqual([]);
      },
    },
    {
      name: 'open: a request for a rebound host name is a 421',
      target: 'open',
      request: () => ({
        method: 'POST',
        path: '/v1/training-jobs',
        headers: {
          host: 'attacker.example:3000',
          origin: 'http://attacker.example:3000',
          'content-type': 'application/json',
        },
        body: '{"epochs": 1}',
      }),
      expect: { status: 421, code: 'HOST_NOT_ALLOWED', message: /attacker\.example.*ALLOWED_HOSTS/ },
    },
    {
      name: 'open: reads for a rebound host name are refused too',
      target: 'open',
      request: () => ({ method: 'GET', path: '/v1/models', headers: { host: 'rebind.attacker.example' } }),
      expect: { status: 421, code: 'HOST_NOT_ALLOWED' },
    },
    {
      name: 'open: a host in ALLOWED_HOSTS, an IP literal and localhost are answered',
      target: 'open',
      async run(ctx) {
        for (const host of [
          'trainyard.internal:3000',
          'TRAINYARD.internal.',
          '10.1.2.3:3000',
          '[::1]:3000',
          'localhost',
        ]) {
          const res = await send(ctx, { method: 'GET', path: '/v1/models', headers: { host } });
          expect(res.status, host).toBe(200);
        }
        const probe = await send(ctx, { method: 'GET', path: '/healthz', headers: { host: 'lb-probe.example' } });
        expect(probe.status).toBe(200);
      },
    },
    {
      name: 'keyed: the host name does not matter, the key does',
      request: (ctx) => ({
        method: 'GET',
        path: '/v1/models',
        headers: { host: 'attacker.example', ...bearer(ctx.keys.predict) },
      }),
      expect: { status: 200 },
    },
  ],
};

export default file;
