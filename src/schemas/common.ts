import { Type, type Static } from '@sinclair/typebox';

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const IsoDate = Type.String({ format: 'date-time' });

/** One field a request was refused for: where it is, and what is wrong with it. */
export const FieldErrorSchema = Type.Object({
  path: Type.String({
    description:
      'A JSON pointer (RFC 6901) into the part of the request the message names: the JSON body, the query ' +
      'string or the path parameters, each read as an object; a multipart form is an object of its fields',
    examples: ['/hiddenLayers/0'],
  }),
  message: Type.String({ description: 'What is wrong with the value at path', examples: ['must be >= 1'] }),
});

/** The one error shape of every non-2xx response. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer({ examples: [400] }),
    error: Type.String({ description: 'HTTP status text', examples: ['Bad Request'] }),
    message: Type.String({ description: 'What is wrong, for a person', examples: ['body.epochs must be <= 100'] }),
    code: Type.Optional(Type.String({ description: 'Stable machine-readable code', examples: ['VALIDATION_ERROR'] })),
    errors: Type.Optional(
      Type.Array(FieldErrorSchema, {
        description: 'The offending fields of a request refused for its content (VALIDATION_ERROR, multipart fields)',
      }),
    ),
  },
  { $id: 'Error', title: 'Error' },
);
export type ErrorBody = Static<typeof ErrorSchema>;
export type FieldError = Static<typeof FieldErrorSchema>;

/** A JSON pointer to `key` below `parent` (a pointer itself; "" is the whole document). */
export const childPointer = (parent: string, key: string) =>
  `${parent}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/** The entry of `errors` for a top-level field: of a multipart form, or of a JSON body. */
export const fieldError = (name: string, message: string): FieldError => ({ path: childPointer('', name), message });

/** The shape of every id the service makes; anything else is simply not found. */
export const RESOURCE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const IdParams = Type.Object({ id: Type.String({ maxLength: 200, description: 'Resource id' }) });
