import SchemaBuilder from '@pothos/core';
import { isObjectType } from 'graphql';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import './input-guard.ts';
import type { Context } from './context.ts';
import { idType } from '../../core/ids.ts';
import { ConflictError, DeliveriesDisabledError, ForbiddenError, LimitExceededError, NotFoundError, ValidationError } from '../../core/errors.ts';

/** Plugins, scalars and context only; every type lives in its own module. */
export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  // inputGuard last: it wraps innermost, so the errors plugin turns its ValidationErrors into typed results.
  plugins: [ErrorsPlugin, RelayPlugin, 'inputGuard'],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // Ids are already global: the prefix (`whk_`, `int_`…) names the type.
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (globalID) => ({ typename: idType(globalID) ?? 'Unknown', id: globalID }),
    nodesQueryOptions: false,
    // An id of no known type, or of a type that is not a Node (a tenant's), names no
    // node: the answer is null, as for an id that does not exist.
    nodeQueryOptions: {
      resolve: (_root, { id }, _ctx, info, resolveNode) => {
        const type = info.schema.getType(id.typename);
        return isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node') ? resolveNode(id) : null;
      },
    },
  },
  errors: {
    defaultTypes: [ValidationError, NotFoundError, ForbiddenError, LimitExceededError, ConflictError, DeliveriesDisabledError],
    directResult: true,
    defaultUnionOptions: {
      name: ({ fieldName }) => `${fieldName.charAt(0).toUpperCase()}${fieldName.slice(1)}Result`,
    },
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
