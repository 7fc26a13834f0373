import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { lyingImages, makeIdxFiles, makeIdxImages, makeIdxLabels } from '../../helpers/idx.js';
import { bearer, multipartBody, send } from '../../helpers/hostile/send.js';
import type { CaseFile, HostileContext, HostileRequest } from '../../helpers/hostile/types.js';

/**
 * Dataset uploads: gzip bombs and hidden headers, lying IDX headers and HTTP headers, hostile
 * multipart bodies, the per-key quotas and clients that leave mid-upload. Quota cases use the
 * `otherTrain` key (or the open process) and delete what they create.
 */

const MB = 1024 * 1024;
const MAX_DATASET_BYTES = 4 * MB;

type Parts = [name: string, value: string | Uint8Array, filename?: string][];

/** A label file of `count` labels (i mod 10), all zero-filled images' companion. */
const labels = (count: number) => makeIdxLabels(Array.from({ length: count }, (_, i) => i % 10));

/** Concatenated members: `head` then `megabytes` × 1 MB of zeros, each ~1 KB compressed. */
function bomb(head: Buffer, megabytes: number): Buffer {
  const zeros = gzipSync(Buffer.alloc(MB), { level: 9 });
  return Buffer.concat([gzipSync(head), ...Array.from({ length: megabytes }, () => zeros)]);
}

/** One gzip member whose deflate data starts with `blocks` empty stored blocks. */
function behindEmptyBlocks(data: Buffer, blocks: number): Buffer {
  const empty = Buffer.alloc(5 * blocks);
  for (let i = 0; i < blocks; i++) empty.writeUInt16LE(0xffff, 5 * i + 3);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), empty, deflateRawSync(data), trailer]);
}

/** Four small valid files (20 train, 10 test) as parts, with any of them replaced. */
function files(replace: Partial<Record<string, Uint8Array>> = {}): Parts {
  return Object.entries({ ...makeIdxFiles(20, 10), ...replace }).map(([k, v]): Parts[number] => [k, v, `${k}.gz`]);
}

async function upload(key: string, parts: Parts, extra: Record<string, string> = {}): Promise<HostileRequest> {
  const { body, contentType } = await multipartBody(parts);
  return {
    method: 'POST',
    path: '/v1/datasets',
    headers: { ...bearer(key), 'content-type': contentType, ...extra },
    body,
  };
}

const list = async (ctx: HostileContext, key: string) => {
  const res = await send(ctx, { method: 'GET', path: '/v1/datasets', headers: bearer(key) });
  expect(res.status).toBe(200);
  return (res.json!.items as { id: string; builtin: boolean }[]).filter((d) => !d.builtin).map((d) => d.id);
};
const listNamed = async (ctx: HostileContext, key: string) => {
  const res = await send(ctx, { method: 'GET', path: '/v1/datasets', headers: bearer(key) });
  expect(res.status).toBe(200);
  return res.json!.items as { id: string; name: string }[];
};
const remove = async (ctx: HostileContext, key: string, ids: string[]) => {
  for (const id of ids) {
    const res = await send(ctx, { method: 'DELETE', path: `/v1/datasets/${id}`, headers: bearer(key) });
    expect(res.status).toBe(204);
  }
};

/** Uploads over a raw socket: sends `sent` bytes of the request, then waits until told to stop. */
async function heldUpload(ctx: HostileContext, key: string, sent: number, name = 'held'): Promise<() => void> {
  const req = await upload(key, [['name', name], ...files()]);
  const body = req.body as Buffer;
  const url = new URL(ctx.url);
  const head =
    `POST /v1/datasets HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${key}\r\n` +
    `content-type: ${req.headers!['content-type']}\r\ncontent-length: ${body.length}\r\n\r\n`;
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(Buffer.concat([Buffer.from(head), body.subarray(0, sent)]));
  return () => socket.destroy();
}

const caseFile: CaseFile = {
  env: {
    MAX_DATASET_BYTES: String(MAX_DATASET_BYTES),
    MAX_DATASETS_PER_KEY: '2',
    MAX_DATASET_STORAGE_PER_KEY: String(3 * MB),
    MAX_DATASET_IMAGES: '6000',
    MAX_UPLOADS_IN_FLIGHT_PER_KEY: '2',
  },
  cases: [
    {
      name: 'uploads: gzip bomb declaring 10 images that inflates to 200 MB',
      request: (ctx) => upload(ctx.keys.train, files({ trainImages: bomb(lyingImages(10, 10 * 784), 200) })),
      expect: {
        status: 400,
        code: 'INVALID_IDX',
        message: /decompresses to more than the 7856 bytes its header declares/,
      },
    },
    {
      name: 'uploads: gzip declaring more than MAX_DATASET_BYTES',
      request: (ctx) => upload(ctx.keys.train, files({ trainImages: bomb(lyingImages(255_103), 200) })),
      expect: { status: 400, code: 'IDX_TOO_LARGE', message: /255,103 images .*4,194,304 bytes \(MAX_DATASET_BYTES\)/ },
    },
    {
      name: 'uploads: IDX header hidden behind 200,000 empty deflate blocks',
      request: (ctx) =>
        upload(ctx.keys.train, files({ trainImages: behindEmptyBlocks(lyingImages(255_103, 784), 200_000) })),
      expect: { status: 400, code: 'IDX_TOO_LARGE', message: /MAX_DATASET_BYTES/ },
    },
    {
      name: 'uploads: IDX declaring 2^32-1 images',
      request: (ctx) => upload(ctx.keys.train, files({ trainImages: gzipSync(lyingImages(2 ** 32 - 1, 784)) })),
      expect: { status: 400, code: 'IDX_TOO_LARGE', message: /4,294,967,295 images/ },
    },
    {
      name: 'uploads: truncated gzip',
      request: (ctx) => {
        const gz = gzipSync(makeIdxImages(20));
        return upload(ctx.keys.train, files({ trainImages: gz.subarray(0, gz.length - 30) }));
      },
      expect: { status: 400, code: 'INVALID_GZIP', message: /trainImages: not valid gzip data/ },
    },
    {
      name: 'uploads: label out of range at the end of a 3,500-image file',
      request: (ctx) => {
        const bad = labels(3500);
        bad[8 + 3499] = 100;
        return upload(
          ctx.keys.train,
          files({ trainImages: gzipSync(lyingImages(3500, 3500 * 784)), trainLabels: bad }),
        );
      },
      expect: {
        status: 400,
        code: 'INVALID_IDX',
        message: /trainLabels: label 100 at index 3499 is outside 0–99 \(MAX_CLASSES is 100\)/,
      },
    },
    {
      name: 'uploads: a name field of 1 MB',
      request: (ctx) => upload(ctx.keys.train, [['name', 'n'.repeat(MB)], ...files()]),
      expect: { status: 400, code: 'MISSING_FIELD', message: /"name" is required/ },
    },
    {
      name: 'uploads: a labels field of 1 MB, before the files',
      request: (ctx) => upload(ctx.keys.train, [['name', 'x'], ['labels', 'a,'.repeat(MB / 2)], ...files()]),
      expect: { status: 400, code: 'VALIDATION_ERROR', message: /^field "labels" is longer than 65536 bytes$/ },
    },
    {
      name: 'uploads: 5,000 class names in a labels field',
      request: (ctx) =>
        upload(ctx.keys.train, [
          ['name', 'x'],
          ['labels', JSON.stringify(Array.from({ length: 5000 }, (_, i) => `c${i}`))],
          ...files(),
        ]),
      expect: {
        status: 400,
        code: 'INVALID_LABELS',
        message: /^labels: names 5000 classes; at most 100 \(MAX_CLASSES\)$/,
      },
    },
    {
      name: 'uploads: class names that would print as something else',
      request: (ctx) => upload(ctx.keys.train, [['name', 'x'], ['labels', '["a", "b\\u001b[31m"]'], ...files()]),
      expect: { status: 400, code: 'INVALID_LABELS', message: /^labels: name 1 holds a control character$/ },
    },
    {
      name: 'uploads: a class name reversed by a bidi override',
      request: (ctx) => upload(ctx.keys.train, [['name', 'x'], ['labels', '["cat", "\u202egod"]'], ...files()]),
      expect: {
        status: 400,
        code: 'INVALID_LABELS',
        message: /^labels: name 1 holds an invisible or formatting character \(U\+202E\)$/,
      },
    },
    {
      name: 'uploads: 500 text fields',
      request: (ctx) =>
        upload(ctx.keys.train, [
          ...Array.from({ length: 500 }, (_, i): Parts[number] => [`f${i}`, 'x']),
          ['name', 'x'],
          ...files(),
        ]),
      expect: { status: [400, 413], code: ['UNEXPECTED_FIELD', 'TOO_MANY_PARTS'] },
    },
    {
      name: 'uploads: a file field repeated 50 times',
      request: (ctx) =>
        upload(ctx.keys.train, [
          ['name', 'x'],
          ...Array.from({ length: 50 }, (): Parts[number] => ['trainImages', makeIdxImages(20), 'a.idx']),
        ]),
      expect: { status: [400, 413], code: ['UNEXPECTED_FIELD', 'TOO_MANY_PARTS'], message: /trainImages|limit/ },
    },
    {
      name: 'uploads: an unknown file field',
      request: (ctx) => upload(ctx.keys.train, [['name', 'x'], ['evil', Buffer.from('x'), 'evil.sh'], ...files()]),
      expect: { status: 400, code: 'UNEXPECTED_FIELD', message: /unexpected file field "evil"/ },
    },
    {
      name: 'imports: an archive that is an executable with a .zip name',
      request: (ctx) =>
        upload(ctx.keys.train, [
          ['name', 'x'],
          ['archive', Buffer.alloc(4096, 0x7f), 'data.zip'],
        ]),
      expect: { status: 400, code: 'INVALID_ARCHIVE', message: /^archive: not a ZIP, tar or gzipped tar file$/ },
    },
    {
      name: 'imports: an archive over MAX_DATASET_BYTES, cut off as it arrives',
      request: (ctx) =>
        upload(ctx.keys.train, [
          ['name', 'x'],
          ['archive', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(5 * MB)]), 'big.zip'],
        ]),
      expect: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: /^archive: more than \d+ bytes as uploaded/ },
    },
    {
      name: 'imports: an archive beside IDX files',
      request: (ctx) =>
        upload(ctx.keys.train, [['name', 'x'], ...files(), ['archive', Buffer.from('PK\x03\x04'), 'a.zip']]),
      expect: { status: 400, code: 'MIXED_UPLOAD', message: /a dataset upload is one of/ },
    },
    {
      name: 'imports: a CSV with a lying content type and a 10 KB seed',
      request: (ctx) =>
        upload(ctx.keys.train, [
          ['name', 'x'],
          ['seed', '9'.repeat(10_000)],
          ['trainCsv', Buffer.from('label\n1\n'), 'x.png'],
        ]),
      expect: { status: 400, code: 'INVALID_FIELD', message: /"seed" must be an integer/ },
    },
    {
      name: 'uploads: Content-Length shorter than the multipart body',
      request: async (ctx) => {
        const req = await upload(ctx.keys.train, [['name', 'x'], ...files()]);
        return { ...req, headers: { ...req.headers, 'content-length': String((req.body as Buffer).length - 5000) } };
      },
      expect: { status: 400 },
    },
    {
      name: 'uploads: bytes per key past MAX_DATASET_STORAGE_PER_KEY, refused from the header',
      request: (ctx) =>
        upload(
          ctx.keys.otherTrain,
          files({ trainImages: gzipSync(lyingImages(4500, 4500 * 784)), trainLabels: labels(4500) }),
        ),
      expect: { status: 413, code: 'DATASET_STORAGE_QUOTA_EXCEEDED', message: /MAX_DATASET_STORAGE_PER_KEY/ },
    },
    {
      name: 'uploads: images per dataset past MAX_DATASET_IMAGES',
      target: 'open',
      request: (ctx) =>
        upload(
          ctx.keys.train,
          files({
            trainImages: gzipSync(lyingImages(3000, 3000 * 784)),
            trainLabels: labels(3000),
            testImages: gzipSync(lyingImages(3001, 3001 * 784)),
          }),
        ),
      expect: { status: 413, code: 'TOO_MANY_IMAGES', message: /6,001 images .* at most 6,000 \(MAX_DATASET_IMAGES\)/ },
    },
    {
      name: 'uploads: filenames with ../ are ignored; concatenated gzip members are read whole',
      async run(ctx) {
        const { trainImages, ...rest } = makeIdxFiles(20, 10);
        const members = Buffer.concat([gzipSync(trainImages.subarray(0, 1000)), gzipSync(trainImages.subarray(1000))]);
        const parts: Parts = [
          ['name', 'traversal'],
          ['trainImages', members, '../../../../../../tmp/trainyard-evil'],
          ...Object.entries(rest).map(([k, v]): Parts[number] => [k, v, `../../${k}`]),
        ];
        const res = await send(ctx, await upload(ctx.keys.otherTrain, parts));
        expect(res.status).toBe(201);
        expect(res.json).toMatchObject({ name: 'traversal', trainSize: 20, testSize: 10 });
        expect(res.text).not.toMatch(/evil|owner|\.\.\//);
        await remove(ctx, ctx.keys.otherTrain, [res.json!.id as string]);
      },
    },
    {
      name: 'uploads: datasets per key past MAX_DATASETS_PER_KEY',
      async run(ctx) {
        const key = ctx.keys.otherTrain;
        const before = await list(ctx, key);
        const created: string[] = [];
        try {
          for (let i = 0; i < 3; i++) {
            const res = await send(ctx, await upload(key, [['name', `quota ${i}`], ...files()]));
            if (res.status === 201) created.push(res.json!.id as string);
            else {
              expect(res.status).toBe(429);
              expect(res.json).toMatchObject({
                code: 'DATASET_QUOTA_EXCEEDED',
                message: expect.stringMatching(/at most 2 \(MAX_DATASETS_PER_KEY\)/),
              });
            }
          }
          expect(created).toHaveLength(2);
        } finally {
          await remove(ctx, key, created);
        }
        expect(await list(ctx, key)).toEqual(before);
      },
    },
    {
      name: 'uploads: clients that leave mid-upload leave nothing, and a flood of them is bounded',
      async run(ctx) {
        const key = ctx.keys.otherTrain;
        // Named for this run: replayed beside other cases, other datasets come and go in the listing.
        const tag = randomBytes(4).toString('hex');
        const mine = async () => (await listNamed(ctx, key)).filter((d) => d.name.endsWith(tag)).map((d) => d.name);
        const stops = [
          await heldUpload(ctx, key, 10_000, `held-${tag}`),
          await heldUpload(ctx, key, 10_000, `held-${tag}`),
        ];
        try {
          // With two held, a third is refused once the server has seen both (they arrive over TCP).
          let third = await send(ctx, await upload(key, [['name', `third-${tag}`], ...files()]));
          for (let i = 0; third.status === 201 && i < 50; i++) {
            await remove(ctx, key, [third.json!.id as string]);
            await sleep(50);
            third = await send(ctx, await upload(key, [['name', `third-${tag}`], ...files()]));
          }
          expect(third.status).toBe(429);
          expect(third.json).toMatchObject({
            code: 'TOO_MANY_UPLOADS',
            message: expect.stringMatching(/MAX_UPLOADS_IN_FLIGHT_PER_KEY/),
          });
        } finally {
          for (const stop of stops) stop();
        }
        // Their slots come back once the server notices they left; nothing of them is listed.
        let after = await send(ctx, await upload(key, [['name', `after-${tag}`], ...files()]));
        for (let i = 0; after.status === 429 && i < 100; i++) {
          await sleep(50);
          after = await send(ctx, await upload(key, [['name', `after-${tag}`], ...files()]));
        }
        expect(after.status).toBe(201);
        await remove(ctx, key, [after.json!.id as string]);
        expect(await mine()).toEqual([]);
      },
    },
  ],
};

export default caseFile;
