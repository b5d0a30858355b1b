// A Pothos plugin that runs core/rules/input-values.ts over the arguments of every field
// that takes any, before its resolver (or subscribe) runs: each string, id and key must be
// storable text and each JSON value within HOOKYARD_JSON_DEPTH_LIMIT. It wraps inside the
// errors plugin, so a mutation answers its typed ValidationError and a query a VALIDATION
// error, naming the argument (for JSON, the JSON argument; the message has the inner path).
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { getNamedType, isInputObjectType, isListType, isNonNullType, type GraphQLFieldResolver, type GraphQLInputType, type GraphQLResolveInfo } from 'graphql';
import { ValidationError } from '../../core/errors.ts';
import { checkInputValue } from '../../core/rules/input-values.ts';
import type { Context } from './context.ts';

type Path = (string | number)[];

const pathText = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');

/** Checks `value`, typed as `type`, found at `path`; input objects and lists by their fields and items. */
export function checkValue(type: GraphQLInputType, value: unknown, path: Path, maxDepth: number): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return checkValue(type.ofType, value, path, maxDepth);
  if (isListType(type)) {
    if (!Array.isArray(value)) return checkValue(type.ofType, value, path, maxDepth);
    for (let i = 0; i < value.length; i++) checkValue(type.ofType, value[i], [...path, i], maxDepth);
    return;
  }
  if (isInputObjectType(type) && typeof value === 'object' && !Array.isArray(value)) {
    const fields = type.getFields();
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const field = fields[key];
      if (field) checkValue(field.type, item, [...path, key], maxDepth);
    }
    return;
  }
  const named = getNamedType(type).name;
  if (named === 'ID' && typeof value === 'object' && !Array.isArray(value) && 'id' in value) {
    // A global id the relay plugin has decoded already ({ typename, id }): the id is the value.
    return checkInputValue(path, (value as { id: unknown }).id, maxDepth);
  }
  if (named === 'JSON') {
    // The JSON value is the field to fix; where inside it lies is in the message.
    try {
      checkInputValue(path, value, maxDepth);
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(pathText(path), error.message);
      throw error;
    }
    return;
  }
  checkInputValue(path, value, maxDepth);
}

function checkArguments(args: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo): void {
  const definitions = info.parentType.getFields()[info.fieldName]?.args ?? [];
  const maxDepth = (context as Context).services.config.jsonDepthLimit;
  for (const definition of definitions) checkValue(definition.type, args[definition.name], [definition.name], maxDepth);
}

export class InputGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: GraphQLFieldResolver<unknown, Types['Context'], object>, fieldConfig: PothosOutputFieldConfig<Types>): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (Object.keys(fieldConfig.args).length === 0) return resolver;
    return (parent, args, context, info) => {
      checkArguments(args as Record<string, unknown>, context, info);
      return resolver(parent, args, context, info);
    };
  }

  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types['Context'], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> | undefined {
    if (!subscribe || Object.keys(fieldConfig.args).length === 0) return subscribe;
    return (parent, args, context, info) => {
      checkArguments(args as Record<string, unknown>, context, info);
      return subscribe(parent, args, context, info);
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputGuard: InputGuardPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('inputGuard', InputGuardPlugin);
