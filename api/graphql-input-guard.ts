// An envelop plugin that runs core/rules/input-values.ts over every value an operation
// brings, before it executes (HTTP and graphql-ws alike): variables and literals, typed by
// the schema so the depth limit counts from each JSON value, not from the input objects
// around it. A bad value answers a VALIDATION error naming the field; no resolver runs.
import {
  GraphQLError,
  Kind,
  TypeInfo,
  typeFromAST,
  isInputType,
  isInputObjectType,
  isListType,
  isNonNullType,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ValidationError } from '../core/errors.ts';
import { checkInputValue } from '../core/rules/input-values.ts';
import { textProblem } from '../core/rules/text.ts';

type Path = (string | number)[];

function checkValue(type: GraphQLInputType | null | undefined, value: unknown, path: Path, maxDepth: number): void {
  if (value === null || value === undefined) return;
  if (type && isNonNullType(type)) return checkValue(type.ofType, value, path, maxDepth);
  if (type && isListType(type) && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkValue(type.ofType, value[i], [...path, i], maxDepth);
    return;
  }
  if (type && isListType(type)) return checkValue(type.ofType, value, path, maxDepth);
  if (type && isInputObjectType(type) && typeof value === 'object' && !Array.isArray(value)) {
    const fields = type.getFields();
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      checkValue(fields[key]?.type, item, [...path, key], maxDepth);
    }
    return;
  }
  // A scalar (JSON, String, ID…), an enum, or something that does not fit its type
  // (coercion will refuse that): all of it must be storable and within the depth.
  checkInputValue(path, value, maxDepth);
}

/** The same over a literal in the document; variables inside it are checked as variables. */
function checkLiteral(type: GraphQLInputType | null | undefined, node: ValueNode, path: Path, maxDepth: number, depth = 0): void {
  if (type && isNonNullType(type)) return checkLiteral(type.ofType, node, path, maxDepth, depth);
  const json = !type || !(isInputObjectType(type) || isListType(type));
  switch (node.kind) {
    case Kind.STRING:
    case Kind.ENUM: {
      const problem = textProblem(node.value);
      if (problem) throw new ValidationError(path.join('.'), `${path.join('.')} ${problem}`);
      return;
    }
    case Kind.LIST: {
      const itemType = type && isListType(type) ? type.ofType : json ? type : null;
      if (json && depth + 1 > maxDepth) throw deep(path, maxDepth);
      node.values.forEach((item, i) => checkLiteral(itemType, item, [...path, i], maxDepth, json ? depth + 1 : depth));
      return;
    }
    case Kind.OBJECT: {
      if (json && depth + 1 > maxDepth) throw deep(path, maxDepth);
      const fields = type && isInputObjectType(type) ? type.getFields() : null;
      for (const field of node.fields) {
        const problem = textProblem(field.name.value);
        if (problem) throw new ValidationError(path.join('.'), `a key in ${path.join('.')} ${problem}`);
        checkLiteral(fields ? fields[field.name.value]?.type : type, field.value, [...path, field.name.value], maxDepth, json ? depth + 1 : depth);
      }
      return;
    }
    default:
      return;
  }
}

function deep(path: Path, maxDepth: number): ValidationError {
  const field = path.slice(0, 6).join('.');
  return new ValidationError(field, `${field} nests objects and lists deeper than ${maxDepth} levels; flatten it`);
}

/** The first unacceptable value of an operation, as the GraphQL error to answer, or null. */
export function checkOperationInput(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null | undefined, maxDepth: number): GraphQLError | null {
  try {
    const variableTypes = new Map<string, GraphQLInputType>();
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        VariableDefinition(node) {
          const type = typeFromAST(schema, node.type);
          if (type && isInputType(type)) variableTypes.set(node.variable.name.value, type);
          return false;
        },
        Argument(node) {
          checkLiteral(typeInfo.getInputType(), node.value, [node.name.value], maxDepth);
          // The literal is checked; its inner nodes need no visit (variables are checked below).
          return false;
        },
      }),
    );
    for (const [name, value] of Object.entries(variables ?? {})) {
      const problem = textProblem(name);
      if (problem) throw new ValidationError('variables', `a variable name ${problem}`);
      checkValue(variableTypes.get(name) ?? null, value, [name], maxDepth);
    }
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return new GraphQLError(error.message, { extensions: { code: error.code, field: error.field } });
    throw error;
  }
}

export function useInputGuard(maxDepth: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = checkOperationInput(args.schema, args.document, args.variableValues as Record<string, unknown>, maxDepth);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = checkOperationInput(args.schema, args.document, args.variableValues as Record<string, unknown>, maxDepth);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
