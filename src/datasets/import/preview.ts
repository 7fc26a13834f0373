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
  return sharp(canvas, { raw: { width, height, channels: 1 } }).png().toBuffer();
}
