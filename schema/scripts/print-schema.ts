// Writes schema/schema.graphql from the code-first schema. Usage: npm run schema:print
import fs from 'node:fs';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { schema } from '../graphql/schema.ts';

export function printedSchema(): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}

if (import.meta.main) {
  fs.writeFileSync(new URL('../schema.graphql', import.meta.url), printedSchema());
  console.log('wrote schema/schema.graphql');
}
