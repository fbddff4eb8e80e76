// i915 userptr's asynchronous cancel (models/drivers/i915-userptr.ts), written with the
// workqueue primitive: invalidate_range_start only queues cancel_userptr (380996aab50e), so
// munmap's range_end returns while the GPU still maps the page; ending the callback with
// flush_workqueue(mn->wq) makes the cancel run before range_start returns.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { check } from '../../src/index.ts';
import i915Userptr from '../../models/drivers/i915-userptr.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

describe('i915-userptr', () => {
  it('before the fix: range_end returns with the GPU still mapping the page (coherence, 6 steps); never a use-after-free (the GPU pins the page)', async () => {
    // queue_cancel (range_start returns at once), the PTE zapped and the batch freed (the
    // page survives on the GPU's pin), range_end — and the kworker has not run cancel_userptr.
    const r = await check(i915Userptr);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe(COHERENCE);
    expect(r.violation.trace.steps.map((s) => `${s.actor}:${s.label}`)).toEqual(['munmap:queue_cancel', 'munmap:lock_ptl[0]', 'munmap:clear_pte[0]', 'munmap:flush_unlock[0]', 'munmap:free_batch', 'munmap:range_end']);
    expect(await verdicts(i915Userptr)).toEqual({ [UAF]: 'holds', [COHERENCE]: 6, [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' });
    expect(await states(i915Userptr)).toBe(25);
  });

  it('after the fix (flush_workqueue at the end of range_start): every property holds', async () => {
    expect(await verdicts(i915Userptr, { fix: true })).toEqual({ [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' });
    expect(await states(i915Userptr, { fix: true })).toBe(11);
  });

  it('is written with the workqueue primitive in under 60 lines', () => {
    const text = readFileSync(new URL('../../models/drivers/i915-userptr.ts', import.meta.url), 'utf8');
    expect(text.split('\n').filter((l) => l !== '').length).toBeLessThan(60);
    expect(text).toContain('workerThread<S>(');
    expect(text).toContain('queueWork<S>(');
  });
});
