// How the running mmcheck was installed, as a dependency spec a new project can install the
// same mmcheck by: the tarball, git URL or directory npm recorded for it, or its version.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULE_EXT, PACKAGE_ROOT } from '../package-layout.ts';

/** A dependency spec for mmcheck, and a note when the spec needs a step before it installs. */
export interface InstallSpec {
  readonly spec: string;
  readonly note?: string;
}

/** mmcheck's own package.json. */
export function ownPackageJson(): { version: string; devDependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8'));
}

/** `file:` + `target` as seen from `fromDir` (npm's form: relative, with forward slashes). */
function fileSpec(target: string, fromDir: string): string {
  const rel = relative(fromDir, target).split(sep).join('/');
  return `file:${rel === '' ? '.' : rel.startsWith('.') ? rel : `./${rel}`}`;
}

/**
 * The spec by which a project in `projectDir` installs the mmcheck that is running:
 * - installed by npm (node_modules/mmcheck, also npx's cache): what the installing project's
 *   lockfile (node_modules/.package-lock.json) says it was resolved from — a tarball or
 *   directory (`file:`, made relative to `projectDir`), a git URL — or `^version` when it came
 *   from a registry;
 * - a checkout of the repository: the checkout as a `file:` directory, with a note that it
 *   must be built (`npm run build`), since an installed mmcheck runs its compiled dist/.
 */
export function installSpec(projectDir: string): InstallSpec {
  const root = fileURLToPath(PACKAGE_ROOT).replace(/[\\/]$/, '');
  const { version } = ownPackageJson();
  if (MODULE_EXT === '.ts') {
    const built = existsSync(join(root, 'dist', 'src', 'index.js'));
    return { spec: fileSpec(root, projectDir), note: built ? undefined : `mmcheck runs from a checkout (${root}) without dist/: run 'npm run build' there before 'npm install' here` };
  }
  const modules = dirname(root);
  const lock = join(modules, '.package-lock.json');
  if (modules.endsWith(`${sep}node_modules`) && existsSync(lock)) {
    try {
      const installer = dirname(modules);
      const entry = JSON.parse(readFileSync(lock, 'utf8')).packages?.[relative(installer, root).split(sep).join('/')];
      const resolved: unknown = entry?.resolved;
      if (typeof resolved === 'string') {
        if (resolved.startsWith('file:')) {
          const path = resolved.slice('file:'.length);
          return { spec: fileSpec(isAbsolute(path) ? path : resolve(installer, path), projectDir) };
        }
        if (/^(git\+|git:|github:|ssh:)/.test(resolved)) return { spec: resolved };
      }
    } catch {
      // An unreadable lockfile: fall back to the version.
    }
  }
  return { spec: `^${version}` };
}
