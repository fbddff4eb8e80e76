// A12: page migration with a migration entry, against KVM and interval-notifier drivers.
import { describe, expect, it } from 'vitest';
import migration from '../../models/drivers/migration.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('migration (A12)', () => {
  it('holds with KVM and with the interval notifier, a CPU thread faulting on the entry', async () => {
    // try_to_unmap (TTU_MIGRATION) is bracketed by range_start/range_end: the SPTE is gone
    // and the driver's sequence blocks re-mapping the old page; afterwards the PTE holds a
    // migration entry, so faults sleep in __migration_entry_wait (no lock held) until
    // unlock_page, then find the new page. A reference taken meanwhile makes the refcount
    // check fail and the migration undo itself.
    expect(await verdicts(migration)).toEqual(ALL_HOLD);
    expect(await verdicts(migration, { driver: 'interval' })).toEqual(ALL_HOLD);
    expect([await states(migration), await states(migration, { driver: 'interval' })]).toEqual([1_018, 656]);
  });

  it('catches the drivers\' near misses: the device maps the old page behind the migration entry', async () => {
    const results = await checkMutants(migration);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['kvm-seq-in-start', true, 18],
      ['interval-no-set-seq', true, 13],
    ]);
    // Once the old page is freed the stale SPTE is a use-after-free too.
    for (const r of results) expect(r.violated).toContain(UAF);
  });
});
