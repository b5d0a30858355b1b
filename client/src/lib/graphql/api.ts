import { Client, CombinedError, fetchExchange, mapExchange, stringifyDocument, type AnyVariables, type TypedDocumentNode } from '@urql/core';
import { createClient as createSocketClient, type Client as SocketClient } from 'graphql-ws';
import { LiveLink, type LiveHandlers, type LiveItem } from '../live/live-link.ts';

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

export type { LiveStatus } from '../live/live-link.ts';
import type { LiveStatus } from '../live/live-link.ts';

export interface ApiOptions {
  token: string;
  /** Called when the server refuses the key (HTTP 401 or WebSocket 4403). */
  onUnauthorized(): void;
  /** Whether the live data on screen is current, for the header's indicator. */
  onLiveStatus?(status: LiveStatus): void;
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
  readonly #live: LiveLink;
  readonly #authorization: string;
  readonly #onUnauthorized: () => void;

  constructor({ token, onUnauthorized, onLiveStatus = () => undefined }: ApiOptions) {
    const authorization = `Bearer ${token}`;
    this.#authorization = authorization;
    this.#onUnauthorized = onUnauthorized;
    const socketUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    let live: LiveLink | null = null;
    this.#socket = createSocketClient({
      url: socketUrl,
      connectionParams: { authorization },
      lazy: true,
      // Moving between pages ends one page's subscriptions just before the next starts its own:
      // keep the socket a moment so that is not a disconnect.
      lazyCloseTimeout: 3000,
      retryAttempts: Infinity,
      // 0.5 s doubling to 30 s, with jitter: a restarting server is not stampeded.
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2))),
      // A refused key will not become valid by retrying; any other close (deploy, network) is retried.
      shouldRetry: (event) => !(event && typeof event === 'object' && 'code' in event && event.code === FORBIDDEN),
      on: {
        connected: () => live?.connected(),
        closed: (event) => {
          live?.closed();
          if ((event as CloseEvent | undefined)?.code === FORBIDDEN) onUnauthorized();
        },
      },
    });
    const socket = this.#socket;
    live = this.#live = new LiveLink(
      (query, variables, sink) => socket.subscribe({ query, variables: variables as Record<string, unknown> }, sink),
      onLiveStatus,
    );
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

  /**
   * A live subscription that holds: onData for each pushed item; onResync whenever what
   * the page shows may be stale (the server sent a Resync, the socket came back, the
   * subscription had to be started again, the page became visible again), so the page
   * refetches. The returned function ends it.
   */
  subscribe<R, V extends AnyVariables>(document: TypedDocumentNode<R, V>, variables: V, handlers: LiveHandlers<LiveItem<R>>): () => void {
    return this.#live.subscribe<R>(stringifyDocument(document), variables, handlers);
  }

  /** Authorised fetch for the plain HTTP endpoints beside GraphQL (exports). */
  async fetch(path: string): Promise<Response> {
    const response = await fetch(path, { headers: { authorization: this.#authorization } });
    if (response.status === 401) this.#onUnauthorized();
    return response;
  }

  dispose(): void {
    this.#live.dispose();
    void this.#socket.dispose();
  }
}
