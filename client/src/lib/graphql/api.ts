import { Client, CombinedError, fetchExchange, mapExchange, subscriptionExchange, type AnyVariables, type TypedDocumentNode } from '@urql/core';
import { createClient as createSocketClient, type Client as SocketClient } from 'graphql-ws';

/** graphql-ws close code for a refused connection_init (unknown or revoked key). */
const FORBIDDEN = 4403;

export class ApiError extends Error {
  readonly unauthorized: boolean;
  constructor(message: string, unauthorized = false) {
    super(message);
    this.name = 'ApiError';
    this.unauthorized = unauthorized;
  }
}

function describe(error: CombinedError): ApiError {
  const unauthorized = error.response?.status === 401;
  const message = error.graphQLErrors[0]?.message ?? (error.networkError ? `cannot reach Hookyard (${error.networkError.message})` : error.message);
  return new ApiError(message, unauthorized);
}

export type SocketState = 'idle' | 'connecting' | 'live' | 'offline';

export interface ApiOptions {
  token: string;
  /** Called when the server refuses the key (HTTP 401 or WebSocket 4403). */
  onUnauthorized(): void;
  /** The subscription socket's state, for the "live" indicator. */
  onSocketState?(state: SocketState): void;
}

/**
 * The dashboard's one way to the API: urql over HTTP for queries and mutations, and
 * graphql-ws on the same /graphql path for subscriptions, both with the bearer key.
 * Results come back as data or as a thrown ApiError; no document cache, because the
 * live subscriptions make every screen's own state the source of truth.
 */
export class Api {
  readonly #urql: Client;
  readonly #socket: SocketClient;
  readonly #authorization: string;
  readonly #onUnauthorized: () => void;

  constructor({ token, onUnauthorized, onSocketState = () => undefined }: ApiOptions) {
    const authorization = `Bearer ${token}`;
    this.#authorization = authorization;
    this.#onUnauthorized = onUnauthorized;
    const socketUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    this.#socket = createSocketClient({
      url: socketUrl,
      connectionParams: { authorization },
      lazy: true,
      retryAttempts: Infinity,
      // A refused key will not become valid by retrying; any other close (deploy, network) is retried.
      shouldRetry: (event) => !(event && typeof event === 'object' && 'code' in event && event.code === FORBIDDEN),
      on: {
        connecting: () => onSocketState('connecting'),
        connected: () => onSocketState('live'),
        closed: (event) => {
          onSocketState('offline');
          if ((event as CloseEvent | undefined)?.code === FORBIDDEN) onUnauthorized();
        },
      },
    });
    const socket = this.#socket;
    this.#urql = new Client({
      url: '/graphql',
      // POST always: yoga's CSRF prevention refuses a GET without a special header.
      preferGetMethod: false,
      requestPolicy: 'network-only',
      fetchOptions: () => ({ headers: { authorization } }),
      exchanges: [
        mapExchange({
          onError(error) {
            if (error.response?.status === 401) onUnauthorized();
          },
        }),
        fetchExchange,
        subscriptionExchange({
          forwardSubscription(request) {
            const input = { ...request, query: request.query ?? '' };
            return {
              subscribe(sink) {
                return { unsubscribe: socket.subscribe(input, sink) };
              },
            };
          },
        }),
      ],
    });
  }

  async query<R, V extends AnyVariables>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const result = await this.#urql.query(document, variables).toPromise();
    if (result.error) throw describe(result.error);
    return result.data as R;
  }

  async mutate<R, V extends AnyVariables>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const result = await this.#urql.mutation(document, variables).toPromise();
    if (result.error) throw describe(result.error);
    return result.data as R;
  }

  /** Calls onData for every pushed result; the returned function ends the subscription. */
  subscribe<R, V extends AnyVariables>(document: TypedDocumentNode<R, V>, variables: V, onData: (data: R) => void, onError?: (error: ApiError) => void): () => void {
    const { unsubscribe } = this.#urql.subscription(document, variables).subscribe((result) => {
      if (result.error) onError?.(describe(result.error));
      else if (result.data) onData(result.data as R);
    });
    return unsubscribe;
  }

  /** Authorised fetch for the plain HTTP endpoints beside GraphQL (exports). */
  async fetch(path: string): Promise<Response> {
    const response = await fetch(path, { headers: { authorization: this.#authorization } });
    if (response.status === 401) this.#onUnauthorized();
    return response;
  }

  dispose(): void {
    void this.#socket.dispose();
  }
}
