// CORS answers only the origins in HOOKYARD_CORS_ORIGINS: never a reflected Origin, never
// `*`, never credentials. Same-origin use (the dashboard) needs none of it.
import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';

const LISTED = 'https://dash.example.com';
const ALSO_LISTED = 'http://localhost:5173';
const EVIL = 'https://evil.example';

function corsHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));
}

describe('CORS with HOOKYARD_CORS_ORIGINS unset (the default)', () => {
  const hy = useTestHookyard();

  it('gives no origin any CORS header, on a request or a preflight', async () => {
    for (const origin of [EVIL, LISTED, 'null']) {
      const post = await fetch(`${hy.baseUrl}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${hy.adminToken}` },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      expect(post.status).toBe(200);
      expect(corsHeaders(post)).toEqual({});
      const preflight = await fetch(`${hy.baseUrl}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(corsHeaders(preflight)).toEqual({});
    }
  });
});

describe('CORS with HOOKYARD_CORS_ORIGINS set', () => {
  const hy = useTestHookyard({ HOOKYARD_CORS_ORIGINS: `${LISTED}, ${ALSO_LISTED}` });
  const post = (origin: string) =>
    fetch(`${hy.baseUrl}/graphql`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${hy.adminToken}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });

  it('allows each listed origin by name, without credentials, varying by Origin', async () => {
    for (const origin of [LISTED, ALSO_LISTED]) {
      const response = await post(origin);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('answers a listed origin\'s preflight with the methods and headers the API takes', async () => {
    const preflight = await fetch(`${hy.baseUrl}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: LISTED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gives an origin that is not listed (or only looks like one) nothing', async () => {
    for (const origin of [EVIL, `${LISTED}.evil.example`, 'https://dash.example.com:444', 'http://dash.example.com', 'null', '*', `${LISTED}/`]) {
      const response = await post(origin);
      expect(response.status).toBe(200);
      expect(corsHeaders(response), origin).toEqual({});
      const preflight = await fetch(`${hy.baseUrl}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(corsHeaders(preflight), origin).toEqual({});
    }
  });

  it('applies to every route alike: exports, health and metrics', async () => {
    for (const route of ['/export/deliveries.csv', '/healthz', '/metrics']) {
      const allowed = await fetch(`${hy.baseUrl}${route}`, { headers: { origin: LISTED, authorization: `Bearer ${hy.adminToken}` } });
      expect(allowed.headers.get('access-control-allow-origin'), route).toBe(LISTED);
      await allowed.arrayBuffer();
      const refused = await fetch(`${hy.baseUrl}${route}`, { headers: { origin: EVIL, authorization: `Bearer ${hy.adminToken}` } });
      expect(corsHeaders(refused), route).toEqual({});
      await refused.arrayBuffer();
    }
  });
});
