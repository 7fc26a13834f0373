import sharp from 'sharp';
import { preprocessImage } from '/work/main/src/inference/preprocess.ts';
import { decodePngFast, decodeWithSharp } from '/work/main/src/inference/decode.ts';
import { toGray } from '/work/main/src/inference/pixels.ts';
import { mnistify } from '/work/main/src/inference/mnistify.ts';
import { canvas, cornerDigit, fillRect, toSharp } from '/work/main/test/inference/images.ts';

async function time(label: string, n: number, fn: () => unknown) {
  for (let i = 0; i < 200; i++) await fn();
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6 / n);
  }
  runs.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} ${runs[1]!.toFixed(3)} ms/call`);
}
// 28x28 canvas drawing: black stroke on transparent RGBA (what a browser canvas exports), and 8-bit gray.
const c = fillRect(fillRect(canvas(28, 28, [0, 0, 0, 0]), 8, 4, 12, 24, [0, 0, 0, 255]), 8, 4, 20, 8, [0, 0, 0, 255]);
const rgba = await toSharp(c, 4).png().toBuffer();
const gray = await sharp(await toSharp(fillRect(canvas(28,28,[0,0,0,255]),10,5,16,22,[255,255,255,255]),3).png().toBuffer()).toColourspace('b-w').png().toBuffer();
const N = 3000;
for (const [name, png] of [['28x28 RGBA', rgba], ['28x28 gray', gray]] as const) {
  await time(`${name} PNG decode: fast-png path`, N, () => toGray(decodePngFast(png)!));
  await time(`${name} PNG decode: sharp path`, N, async () => toGray(await decodeWithSharp(png)));
  await time(`${name} PNG preprocessImage (fast path, as shipped)`, N, () => preprocessImage(png));
  await time(`${name} PNG decode via sharp + mnistify`, N, async () => { const r = await decodeWithSharp(png); return mnistify(toGray(r), r.width, r.height); });
}
const p200 = await toSharp(cornerDigit([255,255,255,255],[0,0,0,255]), 3).png().toBuffer();
await time('200x200 PNG preprocessImage (fast path)', 500, () => preprocessImage(p200));
await time('200x200 PNG via sharp + mnistify', 500, async () => { const r = await decodeWithSharp(p200); return mnistify(toGray(r), r.width, r.height); });
