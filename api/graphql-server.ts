import type { IncomingMessage } from 'node:http';
import { createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { GraphQLError, Kind, type DefinitionNode, type OperationDefinitionNode } from 'graphql';
import { PothosSchemaError } from '@pothos/core';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import type { MikroORM } from '@mikro-orm/postgresql';
import { schema } from '../schema/graphql/schema.ts';
import type { Context } from '../schema/graphql/context.ts';
import type { Services } from '../core/services.ts';
import type { Viewer } from '../core/auth/viewer.ts';
import type { LiveUpdates } from '../core/live-updates/subscriptions.ts';
import { HookyardError, ValidationError } from '../core/errors.ts';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../infra/database.ts';
import { authenticate, bearerToken } from './auth.ts';
import { graphqlRequestLimitBytes } from './request-limits.ts';
import { annotateActiveSpan, tracingEnabled } from '../infra/trace.ts';

/** What graphql-ws hands over for a WebSocket operation: the viewer resolved at connection_init. */
export interface SocketContext {
  viewer?: Viewer;
}

function unauthorized(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } } });
}

/**
 * graphql-yoga with Hookyard's context, hardening and error masking. The same
 * envelop (plugins and context) serves HTTP and graphql-ws operations.
 */
export function createGraphqlServer(services: Services, orm: MikroORM, live: LiveUpdates) {
  // Errors maskError has seen: it logs the unexpected ones itself, with context, and the
  // expected ones (typed Hookyard errors, bad requests) are the client's business. Yoga
  // logs every error whose masked form differs; those lines would be noise or doubles.
  const handled = new WeakSet<object>();
  return createYoga<{ req?: IncomingMessage } & SocketContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: services.config.production ? false : { title: 'Hookyard GraphQL' },
    batching: false,
    // CORS is the edge's (api/cors.ts), for every route alike; yoga's default reflects any Origin.
    cors: false,
    maxRequestBodySize: graphqlRequestLimitBytes(services.config),
    logging: {
      debug: (...args) => services.log.debug(args, 'yoga'),
      info: (...args) => services.log.info(args, 'yoga'),
      warn: (...args) => services.log.warn(args, 'yoga'),
      error: (...args) => {
        if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null && handled.has(args[0])) return;
        services.log.error(args, 'yoga');
      },
    },
    plugins: [
      // A GET or a "simple" POST must carry x-graphql-yoga-csrf, so a browser cannot forge one cross-site.
      useCSRFPrevention(),
      maxDepthPlugin({ n: 12 }),
      maxAliasesPlugin({ n: 30 }),
      costLimitPlugin({ maxCost: 20000 }),
      useOperationSpanName(),
      useStreamsOnlyWhenAsked(),
    ],
    maskedErrors: {
      maskError(error, message) {
        if (typeof error === 'object' && error !== null) handled.add(error);
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof HookyardError) {
          return new GraphQLError(original.message, {
            extensions: { code: original.code, ...(original instanceof ValidationError ? { field: original.field } : {}) },
          });
        }
        if (error instanceof GraphQLError && !error.originalError) return error;
        // A PothosSchemaError is a GraphQLError too, but it describes the server's schema, not the request.
        if (original instanceof GraphQLError && !(original instanceof PothosSchemaError)) return original;
        if (isDatabaseUnavailable(original ?? error)) {
          services.log.warn({ err: original ?? error }, 'a GraphQL operation failed: the database is unavailable');
          return new GraphQLError(`the database is unavailable; try again in ${RETRY_AFTER_SECONDS} s`, {
            extensions: { code: 'UNAVAILABLE', http: { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } },
          });
        }
        services.log.error({ err: original ?? error, path: error instanceof GraphQLError ? error.path : undefined }, 'unexpected error in a GraphQL operation');
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    context: async (initial: YogaInitialContext & SocketContext): Promise<Context> => {
      let viewer = initial.viewer;
      if (!viewer) {
        const token = bearerToken(initial.request.headers.get('authorization'));
        if (!token) throw unauthorized('missing API key: send the header Authorization: Bearer <api key>');
        viewer = (await authenticate(services.pool, token)) ?? undefined;
        if (!viewer) throw unauthorized('the API key is unknown or revoked');
      }
      return { em: orm.em.fork() as Context['em'], viewer, services, live };
    },
  });
}

/**
 * Names the request's span (api/app.ts) after its operation, e.g. `mutation publishEvent`,
 * and tags it with the operation and tenant; nothing while tracing is off.
 */
function useOperationSpanName(): Plugin<{ viewer?: Viewer }> {
  return {
    onExecute({ args }) {
      if (!tracingEnabled()) return;
      const operation = args.document.definitions.find((d: DefinitionNode): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName));
      if (!operation) return;
      const name = operation.name?.value ?? args.operationName ?? '';
      annotateActiveSpan(
        { 'graphql.operation.type': operation.operation, 'graphql.operation.name': name, ...(args.contextValue.viewer ? { 'hookyard.tenant.id': args.contextValue.viewer.tenantId } : {}) },
        `${operation.operation}${name ? ` ${name}` : ''}`,
      );
    },
  };
}

/**
 * A subscription over plain HTTP runs only for a client that asked for a stream (Accept:
 * text/event-stream, Server-Sent Events); any other gets 400 at once, where it used to get
 * a response that never ended. graphql-ws (ws://…/graphql) is the usual way.
 */
function useStreamsOnlyWhenAsked(): Plugin {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as { request?: Request; socket?: unknown };
      if (context.socket || !context.request) return;
      if ((context.request.headers.get('accept') ?? '').includes('text/event-stream')) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError('a subscription needs a stream: use graphql-ws on ws://…/graphql, or send Accept: text/event-stream for Server-Sent Events', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          }),
        ],
      });
    },
  };
}
