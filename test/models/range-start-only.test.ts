import { describe, expect, it } from 'vitest';
import { check } from '../../src/index.ts';
import rangeStartOnly from '../../models/drivers/range-start-only.ts';

describe('range-start-only (A4)', () => {
  it('violates no use-after-free in 10 steps', async () => {
    // The driver clears its SPTE in invalidate_range_start() only. try_to_unmap_one() clears
    // the CPU PTE after range_start returned, so a fault in between still finds the page
    // with get_user_pages() and maps it again; nothing removes that mapping before the last
    // reference is dropped and the page is freed. Shortest schedule: range_start, gup, the
    // PTL section of try_to_unmap_one (lock, clear, put_page, unlock), range_end, free_page
    // (the page survives on the fault's gup reference), map, and the fault's put_page frees it.
    const r = await check(rangeStartOnly);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe('no use-after-free');
    expect(r.violation.trace.steps).toHaveLength(10);
    const last = r.violation.trace.steps.at(-1)!;
    expect(last.actor).toBe('fault0');
    expect(r.violation.message).toMatch(/spte\[0\] still maps page 0, which was freed/);
  });
});
