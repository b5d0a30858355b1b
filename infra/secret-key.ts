import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError } from './config.ts';
import { ensureDataDir } from './data-dir.ts';
import { parseSecretKey } from '../core/rules/secret.ts';

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
  const generated = randomBytes(32).toString('base64');
  await fs.writeFile(file, generated + '\n', { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return { key: parseSecretKey((await fs.readFile(file, 'utf8')).trim()), source: `${file} (generated)` };
}
