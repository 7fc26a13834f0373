/**
 * The shape every model shares, read by training, datasets and inference alike without one
 * importing another: 28×28 grey pixels in, one output per class, normalised as the recipe does.
 */
export const IMAGE_SIDE = 28;
export const INPUT_SIZE = IMAGE_SIDE * IMAGE_SIDE;
export const IMAGE_SHAPE: [28, 28] = [IMAGE_SIDE, IMAGE_SIDE];

/** Classes of datasets stored before they could have others, and of the built-ins: ten. */
export const DIGIT_CLASSES = 10;
/** A classifier needs two classes at least. */
export const MIN_CLASSES = 2;
/** Labels are stored as one unsigned byte each: no dataset can have more (MAX_CLASSES may set fewer). */
export const CLASSES_CEILING = 256;

/** Normalisation of the recipe, (pixel/255 − 0.5)/0.5, as a lookup table: one read per pixel. */
export const NORMALISE = Float32Array.from({ length: 256 }, (_, v) => (v / 255 - 0.5) / 0.5);
