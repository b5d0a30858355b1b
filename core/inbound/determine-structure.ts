// "Determine data structure": a JSON Schema read off one sample item. It maps the fields
// (names, types, nesting); it requires nothing and allows more, so it describes rather
// than rejects until the user edits it and turns validation on.

type Schema = Record<string, unknown>;

const MAX_DEPTH = 32;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Two schemas of one position (items of a list) as one: the same type merged, else anyOf. */
function merge(a: Schema, b: Schema): Schema {
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  if (a.type === 'object' && b.type === 'object') {
    const props = { ...(a.properties as Record<string, Schema>) };
    for (const [key, s] of Object.entries(b.properties as Record<string, Schema>)) props[key] = props[key] ? merge(props[key], s) : s;
    return { type: 'object', properties: props };
  }
  if (a.type === 'array' && b.type === 'array') {
    if (!a.items) return b;
    if (!b.items) return a;
    return { type: 'array', items: merge(a.items as Schema, b.items as Schema) };
  }
  if ((a.type === 'integer' && b.type === 'number') || (a.type === 'number' && b.type === 'integer')) return { type: 'number' };
  const options = [...((a.anyOf as Schema[]) ?? [a]), ...((b.anyOf as Schema[]) ?? [b])];
  const unique = options.filter((s, i) => options.findIndex((o) => JSON.stringify(o) === JSON.stringify(s)) === i);
  return { anyOf: unique };
}

function describe(value: unknown, depth: number): Schema {
  const type = typeOf(value);
  if (depth >= MAX_DEPTH) return {};
  if (type === 'object') {
    const properties: Record<string, Schema> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) properties[key] = describe(item, depth + 1);
    return { type: 'object', properties };
  }
  if (type === 'array') {
    const items = (value as unknown[]).map((item) => describe(item, depth + 1));
    return items.length ? { type: 'array', items: items.reduce(merge) } : { type: 'array' };
  }
  return { type };
}

/** The JSON Schema (draft-07, which ajv reads by default) of one sample. */
export function determineDataStructure(sample: unknown): Schema {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...describe(sample, 0) };
}
