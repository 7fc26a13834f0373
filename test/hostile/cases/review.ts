/**
 * Cases an independent attack found after the first hardening: images that are cheap to send and
 * costly to convert, bursts that would hold every thread of libuv's pool, and DNS rebinding.
 */
import { connect } from 'node:net';
import sharp from 'sharp';
import { expect } from 'vitest';
import { bearer, multipartBody, send } from '../../helpers/hostile/send.js';
import type { CaseFile, HostileContext } from '../../helpers/hostile/types.js';

const once = <T>(make: () => Promise<T>) => {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
};

/** A 28×28 bar: the smallest ordinary prediction. */
const digit = once(() => {
  const gray = Buffer.alloc(784);
  for (let y = 6; y < 22; y++) gray.fill(255, y * 28 + 12, y * 28 + 16);
  return sharp(gray, { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();
});

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

/** An interlaced RGBA PNG of zeros: a few hundred KB that libvips must decode whole. */
const interlaced = (side: number) =>
  sharp({ create: { width: side, height: side, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png({ progressive: true })
    .toBuffer();
const bigInterlaced = once(() => interlaced(4096));
/** An 8-bit grey BMP of 4096×2048: 8 MiB on the wire, every byte of it read and decoded. */
const greyBmp = once(async () => {
  const [width, height, offset] = [4096, 2048, 14 + 40 + 256 * 4];
  const out = Buffer.alloc(offset + width * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(8, 28);
  out.writeUInt32LE(256, 46);
  for (let i = 0; i < 256; i++) out.fill(i, 54 + i * 4, 54 + i * 4 + 3);
  for (let y = 600; y < 1400; y++) out.fill(255, offset + y * width + 1800, offset + y * width + 2300);
  return out;
});
const midInterlaced = once(() => interlaced(2048));

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
      name: 'a 4096² interlaced PNG (decoded whole, ~96 MiB) is refused past MAX_DECODE_MEMORY from its header',
      async run(ctx) {
        const res = await batch(ctx, [await bigInterlaced()]);
        expect(res.status).toBe(413);
        expect(res.json?.code).toBe('IMAGE_TOO_LARGE');
        expect(res.json?.message).toMatch(
          /4096×4096 an interlaced PNG, which is decoded whole: about 96 MiB of memory to decode; at most 64 MiB \(MAX_DECODE_MEMORY\)/,
        );
      },
    },
    {
      name: 'eight requests of four 2048² interlaced PNGs leave threads for storage: readiness stays up',
      async run(ctx) {
        const image = await midInterlaced();
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
        expect(answers.some((r) => r.status === 200)).toBe(true);
        // Busy decoders, or (these bodies are chunked, so each reserves MAX_UPLOAD_BYTES) the key's share of bodies.
        for (const res of answers.filter((r) => r.status === 503))
          expect(['DECODER_BUSY', 'SERVER_BUSY']).toContain(res.json?.code);
        expect(ready.filter((s) => s !== 200)).toEqual([]);
      },
    },
    {
      name: 'twelve 8 MiB BMP bodies, declared and chunked, from three keys at once: read within MAX_PREDICT_BODY_BYTES',
      async run(ctx) {
        const image = await greyBmp();
        const keys = [ctx.keys.predict, ctx.keys.train, ctx.keys.otherTrain];
        const answers = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            send(ctx, {
              method: 'POST',
              path: `/v1/models/${ctx.modelId}/predict`,
              // Half declared, as clients send files (reserved, or refused, before a byte is read);
              // half chunked (a small share first, the rest once past it).
              headers: {
                'content-type': 'image/bmp',
                ...(i % 2 === 0 ? { 'content-length': String(image.length) } : {}),
                ...bearer(keys[i % keys.length]!),
              },
              body: image,
            }),
          ),
        );
        for (const res of answers) expect([200, 503], `${res.status}: ${res.text.slice(0, 120)}`).toContain(res.status);
        expect(answers.some((r) => r.status === 200)).toBe(true);
        for (const res of answers.filter((r) => r.status === 503)) {
          expect(['SERVER_BUSY', 'DECODER_BUSY']).toContain(res.json?.code);
          expect(res.headers['retry-after']).toBe('5');
        }
      },
    },
    {
      name: 'six stalled 4 MiB prediction bodies from one key: past half of MAX_PREDICT_BODY_BYTES a 503 before a byte is read',
      async run(ctx) {
        const { hostname, port } = new URL(ctx.url);
        const head =
          `POST /v1/models/${ctx.modelId}/predict HTTP/1.1\r\nHost: trainyard.internal\r\n` +
          `Authorization: Bearer ${ctx.keys.predict}\r\nContent-Type: image/png\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`;
        const sockets = Array.from({ length: 6 }, () => {
          const socket = connect(Number(port), hostname);
          const got = { text: '' };
          socket.on('data', (d: Buffer) => (got.text += d.toString('latin1')));
          socket.on('error', () => {});
          // One at a time, so that the first four hold their reservations before the others ask.
          return { socket, got };
        });
        for (const { socket } of sockets) {
          socket.write(head + 'x'.repeat(1024));
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 1000));
        const answered = sockets.map(({ got }) => got.text);
        for (const { socket } of sockets) socket.destroy();
        expect(answered.filter((t) => t === '').length).toBe(4);
        const refused = answered.filter((t) => t !== '');
        expect(refused.length).toBe(2);
        for (const t of refused) {
          expect(t).toMatch(/^HTTP\/1\.1 503 /);
          expect(t).toMatch(/"code":"SERVER_BUSY"/);
          expect(t).toMatch(/of bodies being read, at most 16\.0 MiB per tenant \(half of MAX_PREDICT_BODY_BYTES\)/);
        }
        // The reservations go with the connections: the same key predicts again.
        await new Promise((r) => setTimeout(r, 300));
        const res = await batch(ctx, [await digit()]);
        expect(res.status).toBe(200);
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
