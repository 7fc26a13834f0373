import { Type, type Static } from '@sinclair/typebox';
import { CLASSES_CEILING, MIN_CLASSES } from './image-shape.js';
import { StringEnum } from './training-params.js';

/**
 * How an image becomes the 28×28 input, stored with a dataset and with every model trained on
 * it, so that predict prepares images as training saw them: `mnist` inverts a light background,
 * crops, fits 20×20 and centres by mass (digit-like drawings); `fit` letterboxes to 28×28.
 */
export const PREPROCESS_RULES = ['mnist', 'fit'] as const;
export type Preprocess = (typeof PREPROCESS_RULES)[number];
export const PreprocessSchema = StringEnum([...PREPROCESS_RULES], {
  description:
    'How images become 28×28 input: mnist (invert a light background, crop, fit 20×20, centre by mass) or fit (letterbox to 28×28)',
});

/** Most characters of one class name. */
export const MAX_LABEL_LENGTH = 64;

export const ClassLabelsSchema = Type.Array(Type.String({ minLength: 1, maxLength: MAX_LABEL_LENGTH }), {
  minItems: MIN_CLASSES,
  maxItems: CLASSES_CEILING,
  description: 'Class names, index = class',
});
export type ClassLabels = Static<typeof ClassLabelsSchema>;

export const ClassCountSchema = Type.Integer({
  minimum: MIN_CLASSES,
  maximum: CLASSES_CEILING,
  description: 'Number of classes (at most MAX_CLASSES for new datasets)',
});
