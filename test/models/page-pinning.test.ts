// A7: the driver pins pages and drops the pin in invalidate_range_end.
import { describe, expect, it } from 'vitest';
import pinning from '../../models/drivers/page-pinning.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, verdicts } from './verdicts.ts';

describe('page-pinning (A7)', () => {
  it('no use-after-free, but the CPU maps a new page while the device keeps the pinned old one (6 steps)', async () => {
    // mmu_notifier.h: "If the refcount is only droppped on invalidate_range_end() ... Pages
    // will no longer be referenced by the linux address space but may still be referenced by
    // sptes until the last refcount is dropped." The pin keeps page 0 alive (reclaim's put
    // is not the last), but after pte_unmap_unlock a CPU fault installs page 1 before
    // range_end: range_start, lock, clear, put, unlock, cpu_fault.
    expect(await verdicts(pinning)).toEqual({ [UAF]: 'holds', [COHERENCE]: 6, [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' });
  });

  it('with a pinning fault thread (no sequence check) the pin still prevents any use-after-free', async () => {
    // A fault that pinned page 0 before the clear may map it after range_end: stale, but the
    // pin it holds keeps the page from being freed.
    expect(await verdicts(pinning, { faults: 1 })).toMatchObject({ [UAF]: 'holds', [COHERENCE]: 6 });
  });
});
