// Builds the package an author installs (run by `npm run build` and at `prepack`): dist/src/
// and dist/models/ as JavaScript with .d.ts beside each module (tsc, rewriting the sources'
// .ts imports to .js), plus the hand-written .mjs modules and their .d.mts copied as they are.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build-package: tsc failed; dist/ is incomplete');
  process.exit(r.status ?? 1);
}
for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.(mjs|d\.mts)$/.test(entry.name)) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(root, from)));
}
console.log(`build-package: wrote ${relative(process.cwd(), dist) || dist}`);
