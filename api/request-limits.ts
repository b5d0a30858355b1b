import type { Config } from '../infra/config.ts';

/**
 * The largest GraphQL request, over HTTP or one WebSocket message: 25 MB (room for a
 * publishEvents batch), or more when the payload limit is raised so high that one
 * event at the limit would not fit.
 */
export function graphqlRequestLimitBytes(config: Config): number {
  return Math.max(25_000_000, 2 * config.payloadLimitBytes + 64 * 1024);
}
