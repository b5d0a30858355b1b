// Text ↔ value for the webhook form's free-text fields. Pure: errors are thrown with a
// message meant for the field.

/** "x-tenant: acme" lines → {"x-tenant": "acme"}. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`line ${index + 1}: write "Name: value"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Secret headers as typed: "Authorization: Bearer …" sets one; "Name:" with no value
 * removes one (an empty secret is never worth sending) → {"Name": null}.
 */
export function parseSecretHeaders(text: string): Record<string, string | null> {
  return Object.fromEntries(Object.entries(parseHeaders(text)).map(([name, value]) => [name, value === '' ? null : value]));
}

export function formatHeaders(headers: unknown): string {
  if (!headers || typeof headers !== 'object') return '';
  return Object.entries(headers as Record<string, string>)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

/** "eu, us" → ["eu", "us"]; blanks and repeats dropped. */
export function parseList(text: string): string[] {
  return [...new Set(text.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean))];
}

/** Optional positive whole number; '' → null. */
export function parseOptionalInt(text: string | number | null | undefined, what: string): number | null {
  if (text === '' || text == null) return null;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${what} must be a whole number above 0`);
  return value;
}
