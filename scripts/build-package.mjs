// Builds the package an author installs (run by `npm run build` and at `prepack`): dist/src/
// and dist/models/ as JavaScript with .d.ts beside each module (tsc, rewriting the sources'
// .ts imports to .js), plus the hand-written .mjs modules and their .d.mts copied as they are.
// `--as-dependency` (the `prepare` script) builds only when npm prepares this checkout as
// another project's dependency — a git URL install, where npm runs `prepare`, not `prepack`,
// in its clone — and not on `npm ci` / `npm install` in the repository itself, which runs
// the sources and needs no dist/. npm sets INIT_CWD to the directory it was started in: the
// author's project there, this checkout here.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
if (process.argv.includes('--as-dependency') && resolve(process.env.INIT_CWD ?? root) === resolve(root)) process.exit(0);
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
