// Generates a migration from the difference between the entities and a scratch database
// that has every existing migration applied. Usage: npm run migration:create [-- name]
import fs from 'node:fs/promises';
import pg from 'pg';
import { createOrm, migrate } from '../orm.ts';
import { createLogger } from '../../infra/logger.ts';

const base = process.env.SCRATCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const scratch = `hookyard_migration_${Date.now()}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`create database ${scratch}`);
const url = new URL(base);
url.pathname = `/${scratch}`;
const orm = await createOrm(url.toString(), createLogger('warn'));
try {
  await migrate(orm);
  const result = await orm.migrator.create('schema/migrations', false, false, process.argv[2]);
  if (!result.fileName) {
    console.log('entities and migrations agree: nothing to generate');
  } else {
    const className = result.fileName.replace(/\.ts$/, '');
    const indexFile = 'schema/migrations/index.ts';
    const index = await fs.readFile(indexFile, 'utf8');
    const entry = `  { name: '${className}', class: ${className} },\n`;
    const next = `import { ${className} } from './${result.fileName}';\n` + index.replace(/\[\s*\];|\];/, (m) => (m.trim() === '[];' ? `[\n${entry}];` : `${entry}];`));
    await fs.writeFile(indexFile, next);
    console.log(`created schema/migrations/${result.fileName}`);
  }
} finally {
  await orm.close();
  await admin.query(`drop database ${scratch}`);
  await admin.end();
}
