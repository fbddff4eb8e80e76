// A8: an IOMMU flushing its IOTLB from ->invalidate_range under the PTL.
import { describe, expect, it } from 'vitest';
import iommu from '../../models/drivers/iommu-invalidate-range.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

describe('iommu-invalidate-range (A8)', () => {
  it('holds: the IOTLB is flushed between the PTE clear and the new PTE, under the PTL', async () => {
    // ptep_clear_flush_notify: the PTE is none while ->invalidate_range flushes, so the IOMMU
    // walk can only refill from the new PTE; the old page is freed after range_end. The
    // callback spins (amd_iommu_flush_page) and never sleeps; the walk takes no lock.
    expect(await verdicts(iommu)).toEqual({ [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' });
    expect(await states(iommu)).toBe(45);
  });

  it('catches a sleeping ->invalidate_range (5 steps) and a driver without one (10 steps)', async () => {
    // sleeping: lock_page, range_start, lock PTL, clear, mutex_lock under the PTL.
    // none: the IOTLB entry filled before the clear survives the page replacement and the
    // caller's final put_page.
    const results = await checkMutants(iommu);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['sleeping-invalidate-range', true, 5],
      ['no-invalidate-range', true, 10],
    ]);
  });
});
