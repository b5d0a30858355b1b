// `npm run bench`: runs every benchmark in sequence, each in its own process. A bench is
// a top-level file of test/bench/ (helpers live in test/bench/support/). Exits non-zero
// when any bench reports a broken run; missed targets are printed by the bench itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

const dir = import.meta.dirname;
const benches = (await fs.readdir(dir, { withFileTypes: true }))
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && entry.name !== 'run.ts')
  .map((entry) => entry.name)
  .sort();

const broken: string[] = [];
for (const name of benches) {
  console.log(`\n### ${name}`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [path.join(dir, name)], { stdio: 'inherit' });
    child.on('exit', (exitCode, signal) => resolve(signal ? 128 : exitCode));
  });
  if (code !== 0) broken.push(`${name} (exit ${code})`);
}
if (broken.length) {
  console.error(`\nbroken runs: ${broken.join(', ')}`);
  process.exit(1);
}
