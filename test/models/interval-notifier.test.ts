// A9: mmu_interval_notifier, and its four near misses.
import { describe, expect, it } from 'vitest';
import interval from '../../models/drivers/interval-notifier.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('interval-notifier (A9)', () => {
  it('holds with defaults, two addresses, and two readers', async () => {
    // invalidate() calls mmu_interval_set_seq(cur_seq) under user_lock before zapping; the
    // reader checks mmu_interval_read_retry under the same lock and programs the SPTE before
    // dropping it; read_begin waits (no lock held) while an invalidation is in progress and
    // the last mn_itree_inv_end makes the sequence even again.
    expect(await verdicts(interval)).toEqual(ALL_HOLD);
    expect(await verdicts(interval, { addresses: 2, attempts: 1 })).toEqual(ALL_HOLD);
    expect(await verdicts(interval, { faults: 2 })).toEqual(ALL_HOLD);
  });

  it('catches all four mutants with their shortest traces', async () => {
    // no-set-seq / set-seq-after-unlock / retry-outside-lock: a reader's read_retry passes
    // although its page was zapped → the stale SPTE outlives range_end, then the page is
    // freed. read-begin-under-lock (two invalidations): the reader holds user_lock waiting in
    // read_begin for the last range_end, while the second invalidate() waits for user_lock.
    const results = await checkMutants(interval);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['no-set-seq', true, 14],
      ['set-seq-after-unlock', true, 15],
      ['retry-outside-lock', true, 15],
      ['read-begin-under-lock', true, 12],
    ]);
  });
});
