import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError } from './config.ts';
import { ensureDataDir } from './data-dir.ts';

const SECRET_KEY_BYTES = 32;

/**
 * The key that encrypts webhook secrets: HOOKYARD_SECRET_KEY, or one generated on
 * first start and kept in the data folder. Processes that share a database must
 * share the key (set the variable, or share the data folder).
 */
export async function loadSecretKey(fromEnv: string | null, dataDir: string): Promise<{ key: Buffer; source: string }> {
  if (fromEnv) {
    try {
      return { key: parseSecretKey(fromEnv), source: 'HOOKYARD_SECRET_KEY' };
    } catch (error) {
      throw new ConfigError('HOOKYARD_SECRET_KEY', `${(error as Error).message.replace(/^HOOKYARD_SECRET_KEY:?\s*/, '')}; generate one with: openssl rand -base64 32`);
    }
  }
  const file = path.join(dataDir, 'secret-key');
  await ensureDataDir(dataDir);
  try {
    return { key: parseSecretKey((await fs.readFile(file, 'utf8')).trim()), source: file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated = randomBytes(SECRET_KEY_BYTES).toString('base64');
  await fs.writeFile(file, generated + '\n', { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return { key: parseSecretKey((await fs.readFile(file, 'utf8')).trim()), source: `${file} (generated)` };
}

/** HOOKYARD_SECRET_KEY: 32 bytes written as 64 hex characters or as base64 (standard or URL-safe). */
export function parseSecretKey(value: string): Buffer {
  const text = value.trim();
  // Hex first: 64 hex characters are also valid base64, of 48 bytes.
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const unpadded = text.replace(/=+$/, '');
  for (const encoding of ['base64', 'base64url'] as const) {
    const key = Buffer.from(text, encoding);
    if (key.length === SECRET_KEY_BYTES && key.toString(encoding).replace(/=+$/, '') === unpadded) return key;
  }
  // The value is a secret: say what is wrong with it without echoing it.
  throw new ConfigError(
    'HOOKYARD_SECRET_KEY',
    `must be 32 bytes written as 64 hex characters or as base64 (e.g. the output of "openssl rand -base64 32"); the value given (${text.length} characters) is neither`,
  );
}
