// A6: IB umem_odp (v4.13–v5.3) notifiers_seq/notifiers_count with the mlx5 fault's two
// checked sections, on every invalidating path, and its near misses.
import { describe, expect, it } from 'vitest';
import umemOdp from '../../models/drivers/umem-odp.ts';
import { PATHS } from '../../models/mm/index.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('umem-odp (A6)', () => {
  it('holds with one and two fault threads, and on every invalidating path', async () => {
    // start_account raises notifiers_count in its own umem_mutex section BEFORE the MTT zap,
    // which runs without umem_mutex (mlx5_ib_invalidate_range: "The notifiers_count ensures
    // that while we are doing the invalidation, no page fault will attempt to overwrite the
    // same MTTs"); end_account bumps notifiers_seq before dropping the count. The fault checks
    // ib_umem_mmu_notifier_retry when it records the page (section 1) and again when it writes
    // the MTTs (section 2), both under umem_mutex. All the sleeping (mutex, rwsem, the
    // GFP_KERNEL page list, get_user_pages, wait_for_completion) happens with no spinlock
    // held, and nothing allocates under umem_mutex. Under the OOM reaper umem_odp returns
    // -EAGAIN for any umem in the range, so the range is skipped.
    expect(await verdicts(umemOdp)).toEqual(ALL_HOLD);
    expect(await verdicts(umemOdp, { faults: 2 })).toEqual(ALL_HOLD);
    expect([await states(umemOdp), await states(umemOdp, { faults: 2 })]).toEqual([950, 49_811]);
    for (const path of PATHS) expect([path, await verdicts(umemOdp, { path })]).toEqual([path, ALL_HOLD]);
  });

  it('catches its near misses with their shortest traces', async () => {
    // count-after-zap: a fault writes the MTTs between the zap and the late count++ (17).
    // seq-in-start: a fault reading the bumped seq after start passes after end (17).
    // no-second-check: the fault recorded the page before the invalidation and writes the
    // MTTs after its zap; only the second ib_umem_mmu_notifier_retry would have seen count > 0
    // (17). dirty-lock: set_page_dirty_lock in the notifier waits for the page lock reclaim
    // itself holds (9). alloc-under-umem-mutex: the page-list allocation reclaims the victim
    // and runs range_start in the fault thread, which waits for its own umem_mutex (7).
    const results = await checkMutants(umemOdp);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['count-after-zap', true, 17],
      ['seq-in-start', true, 17],
      ['no-second-check', true, 17],
      ['dirty-lock', true, 9],
      ['alloc-under-umem-mutex', true, 7],
    ]);
  });

  it('dirty-lock needs the page lock reclaim holds: on MADV_DONTNEED (no page lock) it holds', async () => {
    // zap_page_range takes no page lock, so set_page_dirty_lock there only sleeps — which is
    // allowed in range_start. The deadlock is the reclaim path's.
    expect(await verdicts(umemOdp, { mutant: 'dirty-lock', path: 'dontneed' })).toEqual(ALL_HOLD);
  });
});
