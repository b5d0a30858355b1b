// The central check of every value a request brings (GraphQL variables and literals,
// whatever their type: names, reasons, ids, searches, JSON payloads and schemas): each
// string and object key must be storable text (core/rules/text.ts), and no value may
// nest deeper than the limit. A client's mistake becomes a ValidationError naming the
// field, before any resolver, database or JSON Schema compiler sees the value.
import { ValidationError } from '../errors.ts';
import { textProblem } from './text.ts';

/** A readable path segment: `.name`, `[3]` or `["odd key"]` (control characters shown as ?). */
function segment(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]{0,60}$/.test(key)) return `.${key}`;
  // eslint-disable-next-line no-control-regex
  return `[${JSON.stringify(key.slice(0, 40).replace(/[\u0000-\u001f\u007f\uD800-\uDFFF]/g, '?'))}]`;
}

function fieldName(path: (string | number)[]): string {
  const text = path.map(segment).join('').replace(/^\./, '');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/**
 * Checks `value` (found at `path`) and everything inside it. Depth counts objects and
 * lists: `{}` and `[]` are 1 level, `{"a": []}` 2. Never recurses past `maxDepth + 1`.
 */
export function checkInputValue(path: (string | number)[], value: unknown, maxDepth: number): void {
  // One path, pushed and popped, so a large payload costs no copies.
  const at = [...path];
  const visit = (current: unknown, depth: number): void => {
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) {
        const field = fieldName(at);
        throw new ValidationError(field, `${field} ${problem}`);
      }
      return;
    }
    if (current === null || typeof current !== 'object') return;
    if (depth + 1 > maxDepth) {
      const field = fieldName(path);
      throw new ValidationError(field, `${field} nests objects and lists deeper than ${maxDepth} levels; flatten it`);
    }
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        at.push(i);
        visit(current[i], depth + 1);
        at.pop();
      }
      return;
    }
    for (const key of Object.keys(current)) {
      const problem = textProblem(key);
      if (problem) {
        const field = fieldName(at);
        throw new ValidationError(field, `a key in ${field || 'the value'} ${problem}`);
      }
      at.push(key);
      visit((current as Record<string, unknown>)[key], depth + 1);
      at.pop();
    }
  };
  visit(value, 0);
}
