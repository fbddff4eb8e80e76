// A6: IB umem_odp notifiers_seq/notifiers_count under umem_mutex, and its near misses.
import { describe, expect, it } from 'vitest';
import umemOdp from '../../models/drivers/umem-odp.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('umem-odp (A6)', () => {
  it('holds with one and two fault threads', async () => {
    // start_account raises notifiers_count in its own umem_mutex section BEFORE the zap;
    // end_account bumps notifiers_seq before dropping the count; the fault checks
    // ib_umem_mmu_notifier_retry and stores the page under umem_mutex. All the sleeping
    // (mutex, rwsem, get_user_pages, wait_for_completion) happens with no spinlock held.
    expect(await verdicts(umemOdp)).toEqual(ALL_HOLD);
    expect(await verdicts(umemOdp, { faults: 2 })).toEqual(ALL_HOLD);
  });

  it('catches count-after-zap and seq-in-start', async () => {
    // count-after-zap: a fault between the zap section and the late count++ sees count 0 and
    // the old seq. seq-in-start: a fault reading the bumped seq after start passes after end.
    const results = await checkMutants(umemOdp);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['count-after-zap', true, 14],
      ['seq-in-start', true, 14],
    ]);
  });
});
