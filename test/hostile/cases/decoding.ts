/**
 * Hostile images and predict bodies: decompression bombs, headers that lie about sizes and
 * structure, work bombs (many-scan JPEG, big BMPs), batches over the request's pixel budget,
 * oversized and malformed JSON. Every one is refused from its headers or bounded by them.
 */
import { connect } from 'node:net';
import { deflateSync } from 'node:zlib';
import { expect } from 'vitest';
import {
  bmp,
  gifHeader,
  gifWithFrame,
  jpegHeader,
  manyScanJpeg,
  pngChunk,
  PNG_SIGNATURE,
} from '../../helpers/images.js';
import { bearer, multipartBody, send } from '../../helpers/hostile/send.js';
import type { CaseFile, HostileContext, HostileRequest } from '../../helpers/hostile/types.js';

/** Builds a body once, on first use: some take a few hundred milliseconds of CPU. */
const once = <T>(make: () => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

function ihdr(width: number, height: number, colour = 0): Uint8Array {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([8, colour, 0, 0, 0], 8);
  return pngChunk('IHDR', data);
}
const IEND = pngChunk('IEND', new Uint8Array(0));
const png = (...chunks: Uint8Array[]) => Buffer.concat([Buffer.from(PNG_SIGNATURE), ...chunks]);
const idatOf = (raw: Uint8Array) => pngChunk('IDAT', deflateSync(raw, { level: 9 }));
/** A valid 28×28 grey PNG (black). */
const smallPng = once(() => png(ihdr(28, 28), idatOf(new Uint8Array(28 * 29)), IEND));
/** 28×28 grey whose image data inflates to 256 MiB (a 260 KB body). */
const pngBomb = once(() => png(ihdr(28, 28), idatOf(new Uint8Array(256 * 1024 * 1024)), IEND));
/** The bomb with its IDAT CRC broken: the inline decoder leaves it to sharp, which reads only the declared rows. */
const pngBombBadCrc = once(() => {
  const file = Buffer.from(pngBomb());
  file[file.length - 13]! ^= 0xff; // the last byte of the IDAT CRC, before the 12-byte IEND
  return file;
});
/** A valid 4096×4096 grey PNG of zeros: 16.7 megapixels in ~16 KB. */
const fullSizePng = once(() => png(ihdr(4096, 4096), idatOf(new Uint8Array(4096 * 4097)), IEND));

/** A 4096×4096 1-bit BMP (2 MiB): a valid image, decoded on a worker thread. */
const bigBmp = once(() => {
  const indices = new Uint8Array(4096 * 4096);
  for (let y = 1200; y < 2800; y++) indices.fill(1, y * 4096 + 1700, y * 4096 + 2400);
  const palette: [number, number, number, number][] = [
    [0, 0, 0, 255],
    [255, 255, 255, 255],
  ];
  return bmp({ width: 4096, height: 4096, rgba: new Uint8Array(0) }, { bpp: 1, palette, indices });
});

const predictPath = (ctx: HostileContext) => `/v1/models/${ctx.modelId}/predict`;

/** One raw image body to the model's predict route with the predict key. */
const image =
  (type: string, body: () => Uint8Array | string) =>
  (ctx: HostileContext): HostileRequest => ({
    method: 'POST',
    path: predictPath(ctx),
    headers: { 'content-type': type, ...bearer(ctx.keys.predict) },
    body: body(),
  });

const json = (body: () => string) => image('application/json', body);

const file: CaseFile = {
  cases: [
    {
      name: 'PNG IDAT bomb: 28×28 inflating to 256 MiB',
      request: image('image/png', pngBomb),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /inflates to more than the 812 bytes its 28×28 header/ },
    },
    {
      name: 'PNG IDAT bomb, open process',
      target: 'open',
      request: image('image/png', pngBomb),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /inflates to more than the 812 bytes/ },
    },
    {
      name: 'PNG IDAT bomb with a wrong CRC: decoded by sharp, 28×28 rows only',
      request: image('image/png', pngBombBadCrc),
      expect: { status: 200 },
    },
    {
      name: 'PNG declaring 4096×4096 over a few bytes of data',
      request: image('image/png', () => png(ihdr(4096, 4096), idatOf(new Uint8Array(100)), IEND)),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /too little for a 4096×4096 image/ },
    },
    {
      name: 'PNG declaring 1×1 over 8 MiB of inflated data',
      request: image('image/png', () => png(ihdr(1, 1), idatOf(new Uint8Array(8 << 20)), IEND)),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /more than the 2 bytes its 1×1 header declares/ },
    },
    {
      name: 'PNG with a second IHDR declaring 6000×6000',
      request: image('image/png', () => png(ihdr(28, 28), ihdr(6000, 6000), idatOf(new Uint8Array(812)), IEND)),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /more than one IHDR/ },
    },
    {
      name: 'PNG cut inside its image data',
      request: image('image/png', () => smallPng().subarray(0, 40)),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /truncated/ },
    },
    {
      name: 'PNG with garbage after IEND',
      request: image('image/png', () => Buffer.concat([smallPng(), Buffer.alloc(4096, 0x41)])),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /4,096 bytes after its IEND chunk/ },
    },
    {
      name: 'PNG 4097 pixels wide',
      request: image('image/png', () => png(ihdr(4097, 1), idatOf(new Uint8Array(4098)), IEND)),
      expect: { status: 413, code: 'IMAGE_TOO_LARGE', message: /4097×1 pixels; images may be at most 4096×4096/ },
    },
    {
      name: 'PNG declaring 0×28',
      request: image('image/png', () => png(ihdr(0, 28), idatOf(new Uint8Array(28)), IEND)),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /header declares a 0×28 image/ },
    },
    {
      name: 'GIF with a 65535×65535 logical screen',
      request: image('image/gif', () => gifHeader(65535, 65535)),
      expect: { status: 413, code: 'IMAGE_TOO_LARGE', message: /65535×65535/ },
    },
    {
      name: 'GIF with a 28×28 screen and a 60000×60000 frame',
      request: image('image/gif', () => gifWithFrame([28, 28], [60000, 60000])),
      expect: { status: 413, code: 'IMAGE_TOO_LARGE', message: /60000×60000/ },
    },
    {
      name: 'JPEG declaring 65500×65500',
      request: image('image/jpeg', () => jpegHeader(65500, 65500)),
      expect: { status: 413, code: 'IMAGE_TOO_LARGE', message: /65500×65500/ },
    },
    {
      name: 'JPEG with 600 progressive scans over 4096×4096 (56 KB)',
      request: image(
        'image/jpeg',
        once(() => manyScanJpeg(4096, 4096, 600)),
      ),
      expect: { status: 413, code: 'IMAGE_TOO_COMPLEX', message: /more than 100 scans/ },
    },
    {
      name: 'JPEG with 500,000 empty APP1 segments before its first scan (2 MB)',
      request: image('image/jpeg', () => {
        const head = jpegHeader(28, 28);
        return Buffer.concat([
          head.subarray(0, 2),
          Buffer.alloc(500_000 * 4, Buffer.from([0xff, 0xe1, 0, 2])),
          head.subarray(2),
        ]);
      }),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /more than 1000 marker segments/ },
    },
    {
      name: 'BMP with a pixel-data offset past its end',
      request: image('image/bmp', () => {
        const file = bmp({ width: 28, height: 28, rgba: new Uint8Array(28 * 28 * 4) }, { bpp: 24 });
        new DataView(file.buffer).setUint32(10, 5_000_000, true);
        return file;
      }),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /BMP pixel data is truncated/ },
    },
    {
      name: 'BMP declaring 4096×4096 over 28×28 of data',
      request: image('image/bmp', () => {
        const file = bmp({ width: 28, height: 28, rgba: new Uint8Array(28 * 28 * 4) }, { bpp: 24 });
        new DataView(file.buffer).setInt32(18, 4096, true);
        new DataView(file.buffer).setInt32(22, 4096, true);
        return file;
      }),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /4096×4096 at 24 bits .* needs 50,331,702 bytes/ },
    },
    {
      name: 'BMP 4096×4096 at 1 bit: decoded off the event loop',
      request: image('image/bmp', bigBmp),
      expect: { status: 200 },
    },
    {
      name: 'multipart batch of five 4096×4096 PNGs over MAX_REQUEST_PIXELS',
      async request(ctx) {
        const { body, contentType } = await multipartBody([1, 2, 3, 4, 5].map(() => ['image', fullSizePng(), 'a.png']));
        return image(contentType, () => body)(ctx);
      },
      expect: {
        status: 413,
        code: 'TOO_MANY_PIXELS',
        message: /5 images add up to 83,886,080 pixels; at most 67,108,864 in one request \(MAX_REQUEST_PIXELS\)/,
      },
    },
    {
      // Only the first 64 KB are sent: a server that waited for the body before answering would hang here.
      name: 'JSON of 10 MB instances is refused from its Content-Length',
      async run(ctx) {
        const body = JSON.stringify({ instances: Array.from({ length: 3100 }, () => Array<number>(784).fill(255)) });
        const { hostname, port } = new URL(ctx.url);
        const head =
          `POST /v1/models/${ctx.modelId}/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ctx.keys.predict}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
        const answer = await new Promise<string>((resolve) => {
          let text = '';
          const socket = connect(Number(port), hostname, () => socket.write(head + body.slice(0, 64 * 1024)));
          socket.setTimeout(20_000, () => socket.destroy());
          socket.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.includes('\r\n\r\n{') && text.trimEnd().endsWith('}')) socket.destroy();
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve(text));
        });
        expect(answer).toMatch(/^HTTP\/1\.1 413 /);
        expect(answer).toContain('"code":"PAYLOAD_TOO_LARGE"');
        expect(answer).toMatch(/limit of 1,671,168 bytes for predictions/);
      },
    },
    {
      name: 'JSON of MAX_BATCH + 1 instances',
      request: json(() => JSON.stringify({ instances: Array.from({ length: 257 }, () => [0]) })),
      expect: { status: 400, code: 'VALIDATION_ERROR', message: /instances must NOT have more than 256 items/ },
    },
    {
      name: 'JSON pixels nested 10,000 deep',
      request: json(() => `{"pixels":${'['.repeat(10_000)}0${']'.repeat(10_000)}}`),
      expect: { status: 400, code: 'INVALID_PIXELS', message: /784 pixel values/ },
    },
    {
      name: 'image/png with a JSON body',
      request: image('image/png', () => JSON.stringify({ pixels: Array<number>(784).fill(0) })),
      expect: { status: 400, code: 'INVALID_IMAGE', message: /not a PNG, JPEG, WebP, GIF or BMP image/ },
    },
    {
      name: 'application/json with a PNG body',
      request: json(() => smallPng().toString('latin1')),
      expect: { status: 400, code: 'INVALID_JSON', message: /not valid JSON/ },
    },
    {
      name: 'twelve concurrent 4096×4096 BMPs',
      async run(ctx) {
        const answers = await Promise.all(Array.from({ length: 12 }, () => send(ctx, image('image/bmp', bigBmp)(ctx))));
        // Each is decoded on a worker thread, or refused while the decoders' queue is full or the
        // key holds its share of MAX_PREDICT_BODY_BYTES (these bodies are chunked: counted as they come).
        for (const res of answers) expect([200, 503]).toContain(res.status);
        expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(0);
        for (const res of answers.filter((r) => r.status === 503)) {
          expect(['DECODER_BUSY', 'SERVER_BUSY']).toContain(res.json?.code);
          expect(res.headers['retry-after']).toBe('5');
        }
      },
    },
  ],
};

export default file;
