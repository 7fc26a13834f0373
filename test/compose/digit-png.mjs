// Writes a 28×28 8-bit grayscale PNG of a handwritten-looking "1" (white on black, as in
// MNIST) to the path given, with Node's built-ins only: usage `node digit-png.mjs out.png`.
// `node digit-png.mjs --shapes DIR` writes class folders instead: DIR/{bar,block,wide}/N.png.
import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { deflateSync } from 'node:zlib';

const SIZE = 28;
const pixels = Buffer.alloc(SIZE * SIZE);
const STROKE = { '-2': 90, '-1': 255, 0: 255, 1: 255, 2: 90 }; // column offset -> grey level
for (let y = 5; y <= 22; y++) {
  const x = 14 + Math.round((13 - y) / 8); // a slight slant
  for (const [dx, v] of Object.entries(STROKE)) pixels[y * SIZE + x + Number(dx)] = v;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A 28×28 grey PNG of `pixels`. */
function png(pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0); // width
  header.writeUInt32BE(SIZE, 4); // height
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: grayscale
  // compression, filter and interlace methods: 0
  const rows = Buffer.alloc(SIZE * (SIZE + 1)); // each row: filter byte 0, then its pixels
  for (let y = 0; y < SIZE; y++) pixels.copy(rows, y * (SIZE + 1) + 1, y * SIZE, (y + 1) * SIZE);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Class `k` of three shapes of ink, shifted by `v`: easy for a small network to tell apart. */
function shape(k, v) {
  const p = Buffer.alloc(SIZE * SIZE);
  const [x0, y0, w, h] = [
    [12 + (v % 3), 4, 3, 20],
    [8 + (v % 3), 8, 12, 12],
    [4, 12 + (v % 3), 20, 3],
  ][k];
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) p[y * SIZE + x] = 255;
  return p;
}

const out = process.argv[2] === '--shapes' ? process.argv[3] : process.argv[2];
if (!out) {
  process.stderr.write('usage: node digit-png.mjs OUT.png | --shapes DIR\n');
  process.exit(2);
}
if (process.argv[2] === '--shapes') {
  ['bar', 'block', 'wide'].forEach((name, k) => {
    mkdirSync(`${out}/${name}`, { recursive: true });
    for (let v = 0; v < 15; v++) writeFileSync(`${out}/${name}/${v}.png`, png(shape(k, v)));
  });
} else {
  writeFileSync(out, png(pixels));
}
