import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ValidationError } from '../errors.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// One Ajv for the process; compiled validators are cached per schema text so
// publishing does not recompile on every event.
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const cache = new Map<string, ValidateFunction>();

/** Compiles an event type's JSON Schema, or explains why it is not one. */
export function compilePayloadSchema(field: string, schema: unknown): ValidateFunction {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ValidationError(field, 'the payload schema must be a JSON Schema object, e.g. {"type":"object","required":["id"]}');
  }
  const key = JSON.stringify(schema);
  const cached = cache.get(key);
  if (cached) return cached;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new ValidationError(field, `the payload schema is not a valid JSON Schema: ${(error as Error).message}`);
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, validate);
  return validate;
}

/** Null when the payload fits the schema, else a readable list of what does not. */
export function payloadSchemaErrors(schema: unknown, payload: unknown): string | null {
  const validate = compilePayloadSchema('payloadSchema', schema);
  if (validate(payload)) return null;
  return ajv.errorsText(validate.errors, { dataVar: 'payload', separator: '; ' });
}
