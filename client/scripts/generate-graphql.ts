// Generates client/src/lib/graphql/generated.ts from schema/schema.graphql and the
// operations in client/src/lib/graphql/operations/*.graphql: one typed document per
// operation (result and variables), every enum and input type. An operation that does
// not validate against the schema fails the build, so a renamed field is caught here
// and not in a user's browser.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type GraphQLSchema,
  Kind,
  buildSchema,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  print,
  typeFromAST,
  validate,
  specifiedRules,
  NoUnusedFragmentsRule,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const graphqlDir = path.join(root, 'client/src/lib/graphql');
export const generatedFile = path.join(graphqlDir, 'generated.ts');

const SCALARS: Record<string, string> = { ID: 'string', String: 'string', Int: 'number', Float: 'number', Boolean: 'boolean', DateTime: 'string', JSON: 'unknown' };

export function loadSchema(): GraphQLSchema {
  return buildSchema(fs.readFileSync(path.join(root, 'schema/schema.graphql'), 'utf8'));
}

function readOperations(): DocumentNode {
  const dir = path.join(graphqlDir, 'operations');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort();
  const definitions = files.flatMap((file) => parse(fs.readFileSync(path.join(dir, file), 'utf8')).definitions);
  return { kind: Kind.DOCUMENT, definitions };
}

class Generator {
  readonly fragments = new Map<string, FragmentDefinitionNode>();
  readonly schema: GraphQLSchema;
  constructor(schema: GraphQLSchema, document: DocumentNode) {
    this.schema = schema;
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(d.name.value, d);
  }

  private applies(condition: string | undefined, type: GraphQLObjectType): boolean {
    if (!condition || condition === type.name) return true;
    const target = this.schema.getType(condition);
    return Boolean(target && isAbstractType(target) && this.schema.isSubType(target, type));
  }

  /** Response key → the field nodes selected under it, for one concrete type. */
  private collect(selections: readonly SelectionNode[], type: GraphQLObjectType, into = new Map<string, FieldNode[]>()) {
    for (const s of selections) {
      if (s.kind === Kind.FIELD) {
        const key = s.alias?.value ?? s.name.value;
        into.set(key, [...(into.get(key) ?? []), s]);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (this.applies(s.typeCondition?.name.value, type)) this.collect(s.selectionSet.selections, type, into);
      } else {
        const fragment = this.fragments.get(s.name.value)!;
        if (this.applies(fragment.typeCondition.name.value, type)) this.collect(fragment.selectionSet.selections, type, into);
      }
    }
    return into;
  }

  selectionType(parent: GraphQLCompositeType, selections: readonly SelectionNode[], indent: string): string {
    const concrete = isAbstractType(parent) ? this.schema.getPossibleTypes(parent) : [parent];
    const variants = new Set<string>();
    let typenameSelected = true;
    for (const type of concrete) {
      const fields = this.collect(selections, type);
      typenameSelected &&= fields.has('__typename');
      const lines = [...fields].map(([key, nodes]) => `${indent}  ${key}: ${this.fieldType(type, nodes, indent + '  ')};`);
      variants.add(`{\n${lines.join('\n')}\n${indent}}`);
    }
    if (variants.size > 1 && !typenameSelected) throw new Error(`select __typename on ${parent.name}: its members differ and the client must tell them apart`);
    return [...variants].join(' | ');
  }

  private fieldType(type: GraphQLObjectType, nodes: FieldNode[], indent: string): string {
    const name = nodes[0].name.value;
    if (name === '__typename') return `'${type.name}'`;
    const field = type.getFields()[name];
    const selections = nodes.flatMap((n) => n.selectionSet?.selections ?? []);
    return this.outputType(field.type, selections, indent);
  }

  private outputType(type: GraphQLOutputType, selections: SelectionNode[], indent: string, nullable = true): string {
    if (isNonNullType(type)) return this.outputType(type.ofType, selections, indent, false);
    let ts: string;
    if (isListType(type)) ts = `Array<${this.outputType(type.ofType, selections, indent)}>`;
    else if (isScalarType(type)) ts = SCALARS[type.name] ?? 'unknown';
    else if (isEnumType(type)) ts = type.name;
    else ts = this.selectionType(type as GraphQLCompositeType, selections, indent);
    return nullable ? `${ts.includes(' | ') ? `(${ts})` : ts} | null` : ts;
  }

  inputType(type: GraphQLInputType, nullable = true): string {
    if (isNonNullType(type)) return this.inputType(type.ofType, false);
    let ts: string;
    if (isListType(type)) ts = `Array<${this.inputType(type.ofType)}>`;
    else if (isScalarType(type)) ts = SCALARS[type.name] ?? 'unknown';
    else ts = type.name;
    return nullable ? `${ts} | null` : ts;
  }

  usedFragments(node: OperationDefinitionNode | FragmentDefinitionNode, seen = new Set<string>()): Set<string> {
    visit(node, {
      FragmentSpread: (spread) => {
        if (seen.has(spread.name.value)) return;
        seen.add(spread.name.value);
        this.usedFragments(this.fragments.get(spread.name.value)!, seen);
      },
    });
    return seen;
  }
}

export function generate(): string {
  const schema = loadSchema();
  const document = readOperations();
  // Fragments may serve queries built at run time (dynamic aliases), so an unused one is fine.
  const errors = validate(schema, document, specifiedRules.filter((rule) => rule !== NoUnusedFragmentsRule));
  if (errors.length) throw new Error(`GraphQL operations do not match the schema:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`);
  const g = new Generator(schema, document);
  const out: string[] = [
    '// Generated by client/scripts/generate-graphql.ts from schema/schema.graphql and',
    '// client/src/lib/graphql/operations/*.graphql. Do not edit: run `npm run build:client`.',
    "import { gql } from '@urql/core';",
    '',
  ];
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__')).sort((a, b) => a.name.localeCompare(b.name));
  for (const type of types) {
    if (isEnumType(type)) {
      const values = type.getValues().map((v) => `'${v.name}'`);
      out.push(`export type ${type.name} = ${values.join(' | ')};`, `export const ${type.name}Values: readonly ${type.name}[] = [${values.join(', ')}];`, '');
    } else if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields()).map((f) => `  ${f.name}${isNonNullType(f.type) ? '' : '?'}: ${g.inputType(f.type)};`);
      out.push(`export interface ${type.name} {`, ...fields, '}', '');
    }
  }
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      const on = schema.getType(definition.typeCondition.name.value) as GraphQLCompositeType;
      out.push(`export type ${definition.name.value}Fragment = ${g.selectionType(on, definition.selectionSet.selections, '')};`, '');
      continue;
    }
    if (definition.kind !== Kind.OPERATION_DEFINITION || !definition.name) {
      if (definition.kind === Kind.OPERATION_DEFINITION) throw new Error('every operation needs a name');
      continue;
    }
    const name = definition.name.value;
    const rootType = definition.operation === 'query' ? schema.getQueryType() : definition.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    const variables = (definition.variableDefinitions ?? []).map((v) => {
      const type = typeFromAST(schema, v.type as never) as GraphQLInputType;
      const optional = !isNonNullType(type) || v.defaultValue !== undefined;
      return `  ${v.variable.name.value}${optional ? '?' : ''}: ${g.inputType(type)};`;
    });
    const text = [print(definition), ...[...g.usedFragments(definition)].map((f) => print(g.fragments.get(f)!))].join('\n');
    out.push(
      `export type ${name}Result = ${g.selectionType(rootType!, definition.selectionSet.selections, '')};`,
      `export type ${name}Variables = {${variables.length ? `\n${variables.join('\n')}\n` : ''}};`,
      `export const ${name}Document = gql<${name}Result, ${name}Variables>(${JSON.stringify(text)});`,
      '',
    );
  }
  return out.join('\n');
}

/** Writes generated.ts when its content changed. */
export function writeGenerated(): void {
  const code = generate();
  const current = fs.existsSync(generatedFile) ? fs.readFileSync(generatedFile, 'utf8') : '';
  if (current !== code) fs.writeFileSync(generatedFile, code);
}

if (import.meta.main) {
  writeGenerated();
  console.log(`wrote ${path.relative(process.cwd(), generatedFile)}`);
}
