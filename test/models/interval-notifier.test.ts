// A9: mmu_interval_notifier on every invalidating path, and its near misses.
import { describe, expect, it } from 'vitest';
import interval from '../../models/drivers/interval-notifier.ts';
import { PATHS } from '../../models/mm/index.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('interval-notifier (A9)', () => {
  it('holds with defaults, two addresses, two readers, and on every invalidating path', async () => {
    // invalidate() calls mmu_interval_set_seq(cur_seq) under user_lock before zapping; the
    // reader checks mmu_interval_read_retry under the same lock and programs the device before
    // dropping it; read_begin waits (no lock held) while an invalidation is in progress and
    // the last mn_itree_inv_end makes the sequence even again. The reader holds no lock in
    // get_user_pages, so a direct reclaim there runs invalidate() freely. Under the OOM
    // reaper invalidate() returns false and the core ends the range itself: -EAGAIN.
    expect(await verdicts(interval)).toEqual(ALL_HOLD);
    expect(await verdicts(interval, { addresses: 2, attempts: 1 })).toEqual(ALL_HOLD);
    expect(await verdicts(interval, { faults: 2 })).toEqual(ALL_HOLD);
    expect([await states(interval), await states(interval, { addresses: 2, attempts: 1 }), await states(interval, { faults: 2 })]).toEqual([188, 2_402, 5_830]);
    for (const path of PATHS) expect([path, await verdicts(interval, { path })]).toEqual([path, ALL_HOLD]);
  });

  it('catches every mutant with its shortest trace', async () => {
    // no-set-seq / set-seq-after-unlock / retry-outside-lock: a reader's read_retry passes
    // although its page was zapped → the stale mapping outlives range_end, then the page is
    // freed. read-begin-under-lock (two invalidations): the reader holds user_lock waiting in
    // read_begin for the last range_end, while the second invalidate() waits for user_lock.
    // lock-across-gup: the reader holds user_lock across get_user_pages; the fault allocates
    // (the page was swapped out and freed), the allocation reclaims the victim, and the
    // invalidate() it runs in the reader waits for user_lock (16). blocks-when-nonblocking:
    // the OOM reaper's non-blockable invalidate() takes user_lock inside non_block_start (3).
    const results = await checkMutants(interval);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['no-set-seq', true, 15],
      ['set-seq-after-unlock', true, 16],
      ['retry-outside-lock', true, 16],
      ['read-begin-under-lock', true, 14],
      ['lock-across-gup', true, 16],
      ['blocks-when-nonblocking', true, 3],
    ]);
  });

  it('lock-across-gup holds without the reclaim edge: only direct reclaim in the allocation catches it', async () => {
    // Nothing else the reader meets needs user_lock: the invalidating thread's invalidate()
    // waits for it, and the reader never waits for that thread while holding it. On the
    // migrate path the reader's gup never allocates (the PTE holds the new page), so the
    // mutant passes there; the deadlock is the allocation's.
    expect(await verdicts(interval, { mutant: 'lock-across-gup', path: 'migrate' })).toEqual(ALL_HOLD);
  });
});
