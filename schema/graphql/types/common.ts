import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { builder } from '../builder.ts';
import { ERROR_CODES, ConflictError, DeliveriesDisabledError, ForbiddenError, HookyardError, LimitExceededError, NotFoundError, ValidationError } from '../../../core/errors.ts';

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(String(value))) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string such as 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`);
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date and time in UTC, e.g. 2026-01-31T12:00:00.000Z',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value as string).toISOString()),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

/** Past any HOOKYARD_JSON_DEPTH_LIMIT: stop before the recursion does (the limit itself is checked with the arguments). */
const MAX_LITERAL_DEPTH = 1000;

function literal(ast: ValueNode, depth = 0): unknown {
  if (depth > MAX_LITERAL_DEPTH) throw new GraphQLError(`a JSON literal nests deeper than ${MAX_LITERAL_DEPTH} levels; flatten it`);
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value, depth + 1)]));
    case Kind.LIST:
      return ast.values.map((v) => literal(v, depth + 1));
    case Kind.NULL:
      return null;
    default:
      throw new GraphQLError('JSON literals cannot contain variables; pass the whole value as a variable');
  }
}

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => literal(ast),
});

export const ErrorCodeEnum = builder.enumType('ErrorCode', { values: ERROR_CODES });

/** Every expected failure implements Error, so clients can always select `... on Error { message code }`. */
export const ErrorInterface = builder.interfaceRef<HookyardError>('Error').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input is not acceptable; `field` names the input to fix.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ValidationError,
  fields: (t) => ({ field: t.exposeString('field') }),
});

for (const [cls, name, description] of [
  [NotFoundError, 'NotFoundError', 'No row with that id exists for this tenant.'],
  [ForbiddenError, 'ForbiddenError', 'The API key may not do this (a VIEWER key cannot change anything).'],
  [ConflictError, 'ConflictError', "The row's current state does not allow this change."],
  [DeliveriesDisabledError, 'DeliveriesDisabledError', 'Deliveries are switched off for the tenant.'],
] as const) {
  builder.objectType(cls as typeof HookyardError, {
    name,
    description,
    interfaces: [ErrorInterface],
    isTypeOf: (e) => e instanceof cls,
    fields: () => ({}),
  });
}

builder.objectType(LimitExceededError, {
  name: 'LimitExceededError',
  description: 'A limit of the tenant or of the request was reached.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof LimitExceededError,
  fields: (t) => ({ limit: t.exposeInt('limit') }),
});
