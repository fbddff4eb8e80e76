// The HTML counterexample page in a real headless browser (Debian chromium via playwright-core):
// lanes, steps, lock shading, the violated property, the inline script, no network, and a
// screenshot. Skipped, with a warning naming what is missing, where there is no browser.
//
// MMCHECK_TRACE_SCREENSHOT=FILE also saves the screenshot there (docs/trace-screenshot.png);
// MMCHECK_LASSO_SCREENSHOT=FILE the lasso page's (docs/lasso-screenshot.png). The browser:
// chromium.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../helpers.ts';
import { bfs } from '../../src/explore/bfs.ts';
import { buildModel } from '../../src/check.ts';
import { renderHtml } from '../../src/trace/html.ts';
import { minimizePreemptions } from '../../src/trace/minimize.ts';
import rangeStartOnly from '../../models/drivers/range-start-only.ts';
import kvm from '../../models/drivers/kvm.ts';
import { check } from '../../src/check.ts';
import { browserMissing, launchChromium, screenshot } from './chromium.ts';

const missing = browserMissing('test/browser/html.test.ts', 'the HTML trace page');

describe.skipIf(missing.length > 0)('HTML trace page in headless Chromium', () => {
  it('shows one lane per thread, one row per step, locks shaded, the property at the bottom', async () => {
    const model = buildModel(rangeStartOnly);
    const r = await bfs(model);
    if (r.status !== 'violated') throw new Error('range-start-only must be violated');
    const v = minimizePreemptions(model, r.violation).violation;
    const dir = scratchDir('html');
    const file = join(dir, 'trace.html');
    writeFileSync(file, renderHtml(v, { model, modelName: 'range-start-only', params: { faults: 1 }, note: 'fewest preemptions among 8-step schedules' }));

    const context = await launchChromium({ width: 1400, height: 900 });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (req: { url(): string }) => requests.push(req.url()));
      const errors: string[] = [];
      page.on('pageerror', (e: Error) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);

      // Lanes: one per thread, left to right in order of first step.
      const lanes: string[] = await page.locator('th.lane-header').allTextContents();
      expect(lanes).toEqual(['madvise', 'fault0']);
      const boxes = await Promise.all(lanes.map((_, i) => page.locator('th.lane-header').nth(i).boundingBox()));
      expect(boxes[0].width).toBeGreaterThan(100);
      expect(boxes[1].x).toBeGreaterThan(boxes[0].x);

      // Rows: one per step; exactly one acting cell per row, in the actor's lane.
      const rows = page.locator('tr.step');
      expect(await rows.count()).toBe(v.trace.steps.length);
      for (let i = 0; i < v.trace.steps.length; i++) {
        const acting = rows.nth(i).locator('td.act');
        expect(await acting.count()).toBe(1);
        expect(await acting.getAttribute('data-lane')).toBe(v.trace.steps[i].actor);
        expect(await acting.locator('.label').textContent()).toBe(v.trace.steps[i].label);
      }
      // madvise holds ptl[0] from lock_ptl[0] until flush_unlock[0]: those cells are shaded.
      const lockedSteps = await page.locator('td.locked[data-lane="madvise"]').evaluateAll((tds: Element[]) => tds.map((td) => td.closest('tr')!.getAttribute('data-step')));
      expect(lockedSteps).toEqual(v.trace.steps.filter((s) => s.actor === 'madvise' && s.locksHeld?.includes('ptl[0]')).map((s) => String(s.index)));
      const shade = await page.locator('td.locked').first().evaluate((td: Element) => getComputedStyle(td).backgroundColor);
      expect(shade).not.toBe('rgba(0, 0, 0, 0)');
      // The preemption is marked, the diff is beside the step, the property is at the bottom.
      expect(await page.locator('.badge').allTextContents()).toEqual(['preempts madvise']);
      expect(await rows.nth(1).locator('td.changes').textContent()).toContain('pages[0].ref: 1 → 2');
      expect(await page.locator('#violated').textContent()).toContain('no use-after-free: spte[0] still maps page 0');
      const bottom = await page.locator('#violated').boundingBox();
      const lastRow = await rows.nth(v.trace.steps.length - 1).boundingBox();
      expect(bottom.y).toBeGreaterThan(lastRow.y);
      expect(await page.locator('#size').textContent()).toBe('8 steps, 1 preemption');

      // The inline script runs (opens every state), and nothing was fetched but the page.
      await page.locator('#toggle-states').click();
      expect(await page.locator('details.state[open]').count()).toBe(v.trace.steps.length + 1);
      await page.locator('#toggle-states').click();
      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);

      await screenshot(page, join(dir, 'trace.png'), process.env.MMCHECK_TRACE_SCREENSHOT);
    } finally {
      await context.close();
    }
  });

  it('a lasso: the loop is marked where it starts, in the margin, and where it goes back', async () => {
    // kvm's count-leak near miss, vCPUs faulting again until they map: range_end forgets
    // mmu_notifier_count--, so after the reclaim thread is done the vCPU retries forever.
    // path=classic: the fixed kernel side the docs' screenshot shows (docs/liveness.md).
    const params = { retry: 'until-mapped', mutant: 'count-leak', path: 'classic' };
    const model = buildModel(kvm, params);
    const r = await check(model);
    if (r.status !== 'violated' || r.violation.trace.loopStart === undefined) throw new Error('count-leak must break progress with a lasso');
    const v = r.violation;
    const k = v.trace.loopStart!;
    const dir = scratchDir('html');
    const file = join(dir, 'lasso.html');
    writeFileSync(file, renderHtml(v, { model, modelName: 'kvm', params }));
    const context = await launchChromium({ width: 1400, height: 900 });
    try {
      const page = await context.newPage();
      await page.goto(pathToFileURL(file).href);
      // Rows in order: the prefix's steps, the loop-start row, the loop's steps, the loop-end row.
      const order: string[] = await page.locator('tbody tr').evaluateAll((trs: Element[]) => trs.map((tr) => tr.id || tr.getAttribute('data-step') || '?'));
      const steps = v.trace.steps.map((s) => String(s.index));
      expect(order).toEqual([...steps.slice(0, k), 'loop-start', ...steps.slice(k), 'loop-end']);
      expect(await page.locator('tr.step.in-loop').count()).toBe(v.trace.steps.length - k);
      expect(await page.locator('#loop-end').textContent()).toContain(`back to the state after step ${k}: the loop repeats forever`);
      expect(await page.locator('tr.in-loop td.act').evaluateAll((tds: Element[]) => [...new Set(tds.map((td) => td.getAttribute('data-lane')))])).toEqual(['vcpu0']);
      expect(await page.locator('#size').textContent()).toBe(`${v.trace.steps.length} steps (a lasso: ${k} to the loop, a loop of ${v.trace.steps.length - k}), ${v.trace.preemptions} preemptions`);
      expect(await page.locator('#violated').textContent()).toContain("vcpu0 loops through 'lock', 'check', 'retry', 'read_seq', 'gup'");
      await screenshot(page, join(dir, 'lasso.png'), process.env.MMCHECK_LASSO_SCREENSHOT);
    } finally {
      await context.close();
    }
  });
});
