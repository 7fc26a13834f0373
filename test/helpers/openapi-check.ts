/**
 * Checks recorded traffic against an OpenAPI document the way a validating proxy does (Prism's
 * `proxy --errors`): the operation must exist for the path and method, the request must carry
 * what its security asks, the JSON request body must match its schema, the status must be one
 * the operation declares and a JSON answer must match that status's schema. Each problem is
 * returned as a line naming the request; an empty list is a pass.
 */
import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { content?: Record<string, { schema?: object }> };
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  security?: Record<string, string[]>[];
};

export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string | undefined>;
  /** The JSON of the request (for a Triton binary body, its JSON header), if any. */
  requestJson?: unknown;
  status: number;
  responseType: string;
  /** The JSON of the answer (for a Triton binary answer, its JSON header), if any. */
  responseJson?: unknown;
}

export interface OpenApiChecker {
  check(exchange: Exchange): string[];
}

/**
 * A checker for the document at `file`. `normalise` rewrites its path templates (the official
 * V2 document writes `${MODEL_NAME}`); `alsoMatch` maps a request path to another the document
 * covers (V2's version is optional in the protocol, the document only has the versioned paths).
 */
export function openApiChecker(
  file: string,
  opts: {
    normalise?: (path: string) => string;
    alsoMatch?: (path: string) => string;
    /**
     * The answer an undeclared 4xx must match (V2's text: errors are "typically 400", each with
     * its error object; the document declares 400 on a few operations only).
     */
    undeclaredErrors?: object;
  } = {},
): OpenApiChecker {
  const raw = parse(readFileSync(file, 'utf8')) as Doc;
  const doc: Doc = {
    ...raw,
    paths: Object.fromEntries(Object.entries(raw.paths).map(([p, ops]) => [opts.normalise?.(p) ?? p, ops])),
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema(doc as object, 'doc');
  const templates = Object.keys(doc.paths).map((p) => ({
    template: p,
    pattern: new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
  }));
  // Refs inside the document point at `#/components/...`: rewritten to the document added above.
  const validate = (schema: object, value: unknown): string | undefined => {
    const fn = ajv.compile(schema);
    return fn(value) ? undefined : ajv.errorsText(fn.errors);
  };
  const rewrite = (schema: object) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as object;

  return {
    check(x) {
      const path = x.url.split('?')[0]!;
      const name = `${x.method} ${x.url}`;
      const find = (p: string) =>
        templates.find((t) => t.pattern.test(p) && doc.paths[t.template]![x.method.toLowerCase()]);
      const found = find(path) ?? (opts.alsoMatch ? find(opts.alsoMatch(path)) : undefined);
      if (!found) return [`${name}: no operation in the document`];
      const op = doc.paths[found.template]![x.method.toLowerCase()]!;
      const problems: string[] = [];
      const security = op.security ?? doc.security;
      const hasKey = /^Bearer /i.test(x.requestHeaders.authorization ?? '');
      if (security && security.length > 0 && !hasKey && !security.some((s) => Object.keys(s).length === 0))
        problems.push(
          `${name}: the document requires ${security.map((s) => Object.keys(s).join('+')).join(' or ')}; none sent`,
        );
      const requestSchema = op.requestBody?.content?.['application/json']?.schema;
      if (requestSchema && x.requestJson !== undefined) {
        const why = validate(rewrite(requestSchema), x.requestJson);
        if (why) problems.push(`${name}: request body: ${why}`);
      }
      const fallback =
        x.status >= 400 && x.status < 500 && opts.undeclaredErrors
          ? { content: { 'application/json': { schema: opts.undeclaredErrors } } }
          : undefined;
      const declared = op.responses?.[String(x.status)] ?? op.responses?.default ?? fallback;
      if (!declared) {
        problems.push(
          `${name}: status ${x.status} is not declared (declared: ${Object.keys(op.responses ?? {}).join(', ')})`,
        );
        return problems;
      }
      const responseSchema = declared.content?.['application/json']?.schema;
      if (responseSchema && x.responseJson !== undefined) {
        const why = validate(rewrite(responseSchema), x.responseJson);
        if (why) problems.push(`${name}: ${x.status} answer: ${why}`);
      }
      return problems;
    },
  };
}
