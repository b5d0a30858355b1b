import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'hookyard'): Logger {
  return pino({ name, level });
}
