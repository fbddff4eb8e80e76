// The JSON trace (with its ITF view) and the printed trace: both say steps and preemptions,
// and every step's thread, label, kernel function, locks and changes.
import { describe, expect, it } from 'vitest';
import { bfs } from '../../src/explore/bfs.ts';
import { buildModel } from '../../src/check.ts';
import { JSON_FORMAT, resultToJSON } from '../../src/trace/json.ts';
import { minimizePreemptions } from '../../src/trace/minimize.ts';
import { renderViolation } from '../../src/trace/text.ts';
import rangeStartOnly from '../../models/drivers/range-start-only.ts';

async function minimized() {
  const model = buildModel(rangeStartOnly);
  const r = await bfs(model);
  if (r.status !== 'violated') throw new Error('range-start-only must be violated');
  const m = minimizePreemptions(model, r.violation);
  return { model, r: { ...r, violation: m.violation, violations: [m.violation] } };
}

describe('JSON trace', () => {
  it('records model, parameters, property and each step with thread, action, diff and full state', async () => {
    const { model, r } = await minimized();
    const json = JSON.parse(JSON.stringify(resultToJSON(r, { model, params: { faults: 1 }, source: { builtin: 'range-start-only' } })));
    expect(json).toMatchObject({ format: JSON_FORMAT, model: 'range-start-only', source: { builtin: 'range-start-only' }, params: { faults: 1 }, status: 'violated' });
    const v = json.violations[0];
    expect(v).toMatchObject({ property: 'no use-after-free', kind: 'invariant', steps: 8, preemptions: 1 });
    expect(v.trace.steps[1]).toMatchObject({ index: 2, thread: 'fault0', label: 'gup', kernel: 'get_user_pages', action: 'fault0: gup', preempts: true });
    expect(v.trace.steps[1].changes).toContainEqual({ path: 'pages[0].ref', before: '1', after: '2' });
    expect(v.trace.steps[4].locksHeld).toEqual(['ptl[0]']);
    expect(v.trace.steps[7].state.shared.pages[0]).toMatchObject({ ref: 0, state: 'freed' });
  });

  it('has an ITF view: #meta, vars, and one state per step with its index and action', async () => {
    const { model, r } = await minimized();
    const itf = (resultToJSON(r, { model }) as any).violations[0].itf;
    expect(itf['#meta']).toMatchObject({ format: 'ITF', source: 'mmcheck' });
    expect(itf.vars).toEqual(['shared', 'threads', 'locks', 'mbt::actionTaken']);
    expect(itf.states).toHaveLength(9);
    expect(itf.states.map((s: any) => s['#meta'].index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(itf.states[0]['mbt::actionTaken']).toBe('init');
    expect(itf.states[8]).toMatchObject({ 'mbt::actionTaken': 'madvise: free_batch', threads: { fault0: { at: 'done' } } });
    for (const s of itf.states) for (const v of itf.vars) expect(s).toHaveProperty(v);
  });
});

describe('printed trace', () => {
  it('names thread, label, kernel function, locks, preemption and changes; ends with the property and its values', async () => {
    const { r } = await minimized();
    const text = renderViolation(r.violation);
    const lines = text.split('\n');
    expect(lines[0]).toBe("Counterexample for 'no use-after-free': 8 steps, 1 preemption");
    expect(text).toMatch(/^2\. fault0 +gup +get_user_pages +<- preempts madvise/m);
    expect(text).toMatch(/^5\. madvise +lock_ptl\[0\] +zap_pte_range +\[holds ptl\[0\]\]/m);
    expect(text).toMatch(/pages\[0\]\.state: live → freed/);
    expect(lines.at(-1)).toBe('violated: no use-after-free: spte[0] still maps page 0, which was freed: the device can read and write freed memory');
    expect(text).not.toMatch(/\x1b\[/); // plain style: no ANSI codes
  });
});
