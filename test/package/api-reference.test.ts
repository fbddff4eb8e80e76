// The API reference (`npm run docs`: TypeDoc over the TSDoc comments, issue 21) names every
// export of 'mmcheck' and 'mmcheck/mm': the exported names come from the TypeScript compiler
// (values and types alike, whatever each entry re-exports), and each must have its own page,
// linked from its module's page. The index page is rendered in headless Chromium (skipped with
// a warning without one); MMCHECK_API_SCREENSHOT=FILE saves the picture (docs/api-reference.png).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { browserMissing, launchChromium, screenshot } from '../browser/chromium.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-api-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The package's entry points: the import specifier, its source, and TypeDoc's file-name prefix. */
const ENTRIES = [
  { specifier: 'mmcheck', file: 'src/index.ts', prefix: 'mmcheck' },
  { specifier: 'mmcheck/mm', file: 'models/mm/index.ts', prefix: 'mmcheck_mm' },
] as const;

/** Every name each entry exports, as the compiler sees it (computed once). */
let exports: Map<string, string[]> | undefined;
function exportedNames(): Map<string, string[]> {
  return (exports ??= compilerExports());
}
function compilerExports(): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const program = ts.createProgram(ENTRIES.map((e) => join(root, e.file)), config.options);
  const checker = program.getTypeChecker();
  return new Map(
    ENTRIES.map((e) => {
      const module = checker.getSymbolAtLocation(program.getSourceFile(join(root, e.file))!)!;
      return [e.specifier, checker.getExportsOfModule(module).map((s) => s.name).sort()];
    }),
  );
}

// The reference as `npm run docs` writes it (typedoc.json), here into a temp dir; type errors
// are tsc's job (CI runs it), not the reference's.
const out = join(tmp, 'api');
const typedoc = spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out, '--skipErrorChecking', '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8' });

describe('the API reference', () => {
  it('is generated without warnings', () => {
    expect(typedoc.stderr + typedoc.stdout).toBe('');
    expect(typedoc.status).toBe(0);
  });

  it.each(ENTRIES)("has a page for every name $specifier exports, linked from the module's page", ({ specifier, prefix }) => {
    const names = exportedNames().get(specifier)!;
    // Not a vacuous pass: the entry exports what a driver author imports first.
    expect(names).toEqual(expect.arrayContaining(specifier === 'mmcheck' ? ['defineModel', 'threadModel', 'check', 'Step', 'int', 'bool', 'oneOf'] : ['tryToUnmapOne', 'zapPageRange', 'initialMm', 'NotifierOps', 'kernelSide']));
    const modulePage = readFileSync(join(out, 'modules', `${prefix}.html`), 'utf8');
    const linked = new Map([...modulePage.matchAll(/<a href="\.\.\/(\w+)\/([\w.]+)\.html">([^<]+)<\/a>/g)].map((m) => [m[3], `${m[1]}/${m[2]}.html`]));
    const missing = names.filter((n) => !linked.has(n) || !existsSync(join(out, linked.get(n)!)));
    expect(missing).toEqual([]);
    // Each page is about its name: its title says so.
    for (const n of names) expect(readFileSync(join(out, linked.get(n)!), 'utf8')).toContain(`<title>${n} |`);
  });

  const noBrowser = browserMissing('test/package/api-reference.test.ts', 'the rendered API reference');
  it.skipIf(noBrowser.length > 0)('renders in headless Chromium: the index page lists both modules', async () => {
    const context = await launchChromium({ width: 1280, height: 900 });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e: Error) => errors.push(e.message));
      await page.goto(pathToFileURL(join(out, 'index.html')).href);
      expect(await page.locator('h1').first().textContent()).toContain('mmcheck API reference');
      const modules: string[] = await page.locator('a[href$="modules/mmcheck.html"], a[href$="modules/mmcheck_mm.html"]').allTextContents();
      expect(new Set(modules.map((m) => m.trim()))).toEqual(new Set(['mmcheck', 'mmcheck/mm']));
      expect(errors).toEqual([]);
      await screenshot(page, join(tmp, 'api.png'), process.env.MMCHECK_API_SCREENSHOT);
    } finally {
      await context.close();
    }
  });
});
