/** A tiny GraphQL-over-HTTP client for tests: returns the parsed body and the HTTP status. */
export interface GqlResponse<T = any> {
  status: number;
  data: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export type GqlClient = <T = any>(query: string, variables?: Record<string, unknown>) => Promise<GqlResponse<T>>;

export function gqlClient(baseUrl: string, token: string | null): GqlClient {
  return async (query, variables) => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: any; errors?: GqlResponse['errors'] };
    return { status: response.status, data: body.data, errors: body.errors };
  };
}

/** Runs a mutation and returns its result union member, failing loudly on GraphQL errors. */
export async function mutate<T = any>(client: GqlClient, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await client(query, variables);
  if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  const values = Object.values(response.data ?? {});
  return values[0] as T;
}
