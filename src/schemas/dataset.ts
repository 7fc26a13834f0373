import { Type, type Static } from '@sinclair/typebox';
import { CLASSES_CEILING, IMAGE_SIDE } from './image-shape.js';
import { IsoDate, Nullable } from './common.js';
import { TenantShown } from './tenant.js';
import { MAX_LABEL_LENGTH, PreprocessSchema } from './classes.js';
import { DatasetImportSchema, DatasetStateSchema } from './dataset-import.js';

export const DatasetSchema = Type.Object(
  {
    id: Type.String({ examples: ['mnist-sample'] }),
    name: Type.String(),
    builtin: Type.Boolean(),
    tenant: Type.Optional(Nullable(TenantShown)),
    available: Type.Boolean({ description: 'Whether jobs can train on it now' }),
    note: Type.Optional(Type.String({ description: 'Why it is unavailable, or how it will be fetched' })),
    trainSize: Type.Integer(),
    testSize: Type.Integer(),
    imageShape: Type.Tuple([Type.Literal(IMAGE_SIDE), Type.Literal(IMAGE_SIDE)]),
    // 0 and [] while an import has not found its classes yet: the ranges of the schemas of classes.ts do not hold then.
    classes: Type.Integer({
      minimum: 0,
      maximum: CLASSES_CEILING,
      description: 'Number of classes (at most MAX_CLASSES for new datasets; 0 while importing)',
    }),
    labels: Type.Array(Type.String({ maxLength: MAX_LABEL_LENGTH }), {
      maxItems: CLASSES_CEILING,
      description: 'Class names, index = class (empty while importing)',
    }),
    preprocess: PreprocessSchema,
    createdAt: Nullable(IsoDate),
    state: Type.Optional(DatasetStateSchema),
    import: Type.Optional(DatasetImportSchema),
  },
  { $id: 'Dataset', title: 'Dataset' },
);

export type DatasetResource = Static<typeof DatasetSchema>;
