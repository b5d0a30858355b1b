import fs from 'node:fs/promises';
import { ConfigError } from './config.ts';

/** Makes sure the data folder (HOOKYARD_DATA_DIR) exists and is writable, or says in one line why not. */
export async function ensureDataDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fs.constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'is a file, not a folder' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'cannot be written' : null;
    if (!why) throw error;
    throw new ConfigError('HOOKYARD_DATA_DIR', `${dir} ${why}; set HOOKYARD_DATA_DIR to a folder Hookyard can write`);
  }
}
