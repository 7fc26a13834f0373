import { Type } from '@sinclair/typebox';

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const IsoDate = Type.String({ format: 'date-time' });

/** The one error shape of every non-2xx response. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer({ examples: [400] }),
    error: Type.String({ description: 'HTTP status text', examples: ['Bad Request'] }),
    message: Type.String({ description: 'What is wrong, for a person', examples: ['body/epochs must be <= 100'] }),
    code: Type.Optional(Type.String({ description: 'Stable machine-readable code', examples: ['VALIDATION_ERROR'] })),
  },
  { $id: 'Error', title: 'Error' },
);

/** The shape of every id the service makes; anything else is simply not found. */
export const RESOURCE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const IdParams = Type.Object({ id: Type.String({ maxLength: 200, description: 'Resource id' }) });
