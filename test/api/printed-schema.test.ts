import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../../schema/scripts/print-schema.ts';

describe('schema/schema.graphql', () => {
  it('is the printed code-first schema (run npm run schema:print after changing a type)', () => {
    const committed = fs.readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    // Compared as one string, so any stale line fails with a diff that shows it.
    expect(committed).toBe(printedSchema());
  });
});
