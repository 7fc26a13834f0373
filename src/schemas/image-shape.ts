/**
 * The shape every model shares, read by training, datasets and inference alike without one
 * importing another: 28×28 grey pixels in, 10 classes out, normalised as the recipe does.
 */
export const IMAGE_SIDE = 28;
export const INPUT_SIZE = IMAGE_SIDE * IMAGE_SIDE;
export const CLASSES = 10;
export const IMAGE_SHAPE: [28, 28] = [IMAGE_SIDE, IMAGE_SIDE];

/** Normalisation of the recipe, (pixel/255 − 0.5)/0.5, as a lookup table: one read per pixel. */
export const NORMALISE = Float32Array.from({ length: 256 }, (_, v) => (v / 255 - 0.5) / 0.5);
