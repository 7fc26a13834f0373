import sharp from 'sharp';
import { IMAGE_SIDE, INPUT_SIZE } from '../../schemas/image-shape.js';

/** Images shown per class, one row per class: small enough for 256 classes (under 1 MB of pixels). */
export const PREVIEW_PER_CLASS = 8;
const CELL = IMAGE_SIDE + 2;

/**
 * A PNG grid of the first images of each class of a split, as the network sees them (white on
 * black, 28×28): row i is class i. `images` and `labels` are a split's IDX payloads.
 */
export async function renderPreview(images: Uint8Array, labels: Uint8Array, classes: number): Promise<Buffer> {
  const width = PREVIEW_PER_CLASS * CELL + 2;
  const height = Math.max(1, classes) * CELL + 2;
  const canvas = Buffer.alloc(width * height, 40); // a gray gutter between the black cells
  const placed = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (c >= classes || placed[c]! >= PREVIEW_PER_CLASS) continue;
    const x0 = 2 + placed[c]! * CELL;
    const y0 = 2 + c * CELL;
    for (let y = 0; y < IMAGE_SIDE; y++) {
      const from = i * INPUT_SIZE + y * IMAGE_SIDE;
      canvas.set(images.subarray(from, from + IMAGE_SIDE), (y0 + y) * width + x0);
    }
    placed[c]!++;
  }
  return sharp(canvas, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}

/** An IDX upload's preview reads no further into its train images than this. */
const MAX_PREVIEW_SCAN = 20_000;

/**
 * The preview of a stored IDX dataset: its train labels (one byte an image) are read whole, and
 * its images streamed only until every class has its row or MAX_PREVIEW_SCAN images have passed.
 */
export async function previewFromIdx(
  labelsFile: Buffer,
  images: { body: AsyncIterable<Buffer> & { destroy(): void } },
  classes: number,
): Promise<Buffer> {
  const labels = labelsFile.subarray(8);
  const wanted = new Array<number>(classes).fill(0);
  const keptImages: Buffer[] = [];
  const keptLabels: number[] = [];
  let pending = Buffer.alloc(0);
  let index = -1;
  let skipHeader = 16;
  try {
    for await (const chunk of images.body) {
      pending = Buffer.concat([pending, chunk]);
      if (skipHeader > 0) {
        const cut = Math.min(skipHeader, pending.length);
        pending = pending.subarray(cut);
        skipHeader -= cut;
      }
      while (pending.length >= INPUT_SIZE) {
        const c = labels[++index] ?? 255;
        if (c < classes && wanted[c]! < PREVIEW_PER_CLASS) {
          wanted[c]!++;
          keptImages.push(Buffer.from(pending.subarray(0, INPUT_SIZE)));
          keptLabels.push(c);
        }
        pending = pending.subarray(INPUT_SIZE);
      }
      if (index >= MAX_PREVIEW_SCAN || wanted.every((n) => n >= PREVIEW_PER_CLASS)) break;
    }
  } finally {
    images.body.destroy();
  }
  return renderPreview(Buffer.concat(keptImages), Uint8Array.from(keptLabels), classes);
}
