// Headless Chromium for the browser tests (Debian's chromium driven by playwright-core): what
// is missing, if anything, launching it, and a checked screenshot.
//
// playwright-core is resolved at run time: as a dependency of the project, or from the
// directory in PLAYWRIGHT_CORE_DIR (e.g. `npm install --prefix DIR playwright-core`).
// MMCHECK_CHROMIUM overrides the browser path (default /usr/bin/chromium).
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

/** The browser binary. */
export const CHROMIUM = process.env.MMCHECK_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Playwright = { chromium: any };

async function loadPlaywright(): Promise<Playwright | null> {
  const name = 'playwright-core';
  try {
    return (await import(name)) as Playwright;
  } catch {
    // not a dependency of the project: try PLAYWRIGHT_CORE_DIR
  }
  const dir = process.env.PLAYWRIGHT_CORE_DIR;
  if (!dir) return null;
  try {
    return createRequire(join(dir, 'package.json'))(name) as Playwright;
  } catch {
    return null;
  }
}

/** playwright-core, or null when it cannot be found. */
export const playwright = await loadPlaywright();

/** What is missing to run a browser test (empty when nothing is); warns once per test file, naming `what` goes unchecked. */
export function browserMissing(testFile: string, what: string): string[] {
  const missing = [
    ...(playwright ? [] : ['the npm package playwright-core (a devDependency, or set PLAYWRIGHT_CORE_DIR to a directory where it is installed)']),
    ...(existsSync(CHROMIUM) ? [] : [`a Chromium binary at ${CHROMIUM} (apt-get install chromium, or set MMCHECK_CHROMIUM)`]),
  ];
  if (missing.length) console.warn(`SKIPPED ${testFile}: ${what} is not checked in a browser: missing ${missing.join('; and ')}`);
  return missing;
}

/** A fresh headless Chromium context; its profile is in a temp dir, removed by the context's close(). */
export async function launchChromium(viewport: { width: number; height: number }): Promise<any> {
  const profile = mkdtempSync(join(tmpdir(), 'mmcheck-chromium-'));
  const context = await playwright!.chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

/** A full-page screenshot of `page` at `file` (a real picture, not an empty page), copied to `keep` if given. */
export async function screenshot(page: any, file: string, keep: string | undefined): Promise<void> {
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(10_000);
  if (keep) copyFileSync(file, keep);
}
