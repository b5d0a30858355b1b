// The graphql-ws limits of one API process (HOOKYARD_WS_*): past one, the client gets a
// clear error or the close code 4429, and every other socket and subscription goes on.
import type WebSocket from 'ws';

export const TOO_MANY = 4429;

export interface WebSocketLimits {
  subscriptionsPerSocket: number;
  socketsPerKey: number;
  messagesPerSecond: number;
}

/**
 * A token bucket on a socket's incoming messages: bursts up to `perSecond` messages,
 * refilled at `perSecond` a second. A socket that sends faster is closed with 4429.
 */
export function limitMessageRate(socket: WebSocket, perSecond: number): void {
  let tokens = perSecond;
  let last = performance.now();
  socket.on('message', () => {
    const now = performance.now();
    tokens = Math.min(perSecond, tokens + ((now - last) / 1000) * perSecond);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return;
    }
    if (socket.readyState === socket.OPEN) socket.close(TOO_MANY, `Too many messages: at most ${perSecond} a second (HOOKYARD_WS_MESSAGES_PER_SECOND)`);
  });
}

/** Open sockets per API key in this process. */
export class SocketsPerKey {
  private readonly open = new Map<string, number>();
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Counts one more socket of `apiKeyId`, or returns false (and counts nothing) past the limit. */
  acquire(apiKeyId: string): boolean {
    const count = this.open.get(apiKeyId) ?? 0;
    if (count >= this.limit) return false;
    this.open.set(apiKeyId, count + 1);
    return true;
  }

  release(apiKeyId: string): void {
    const count = (this.open.get(apiKeyId) ?? 0) - 1;
    if (count > 0) this.open.set(apiKeyId, count);
    else this.open.delete(apiKeyId);
  }
}
