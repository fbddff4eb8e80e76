// A10: the HMM mirror loop over hmm_range_fault.
import { describe, expect, it } from 'vitest';
import hmm from '../../models/drivers/hmm-mirror.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('hmm-mirror (A10)', () => {
  it('holds with one and two mirrors, against MADV_DONTNEED freeing the page before range_end', async () => {
    // hmm_range_fault keeps no page reference, so only read_retry under driver->update
    // stands between a stale pfn and the device: invalidate() sets the sequence under that
    // lock before the batch is freed. mmap_lock (rwsem) is taken for read by the walk, never
    // under a spinlock.
    expect(await verdicts(hmm)).toEqual(ALL_HOLD);
    expect(await verdicts(hmm, { mirrors: 2 })).toEqual(ALL_HOLD);
  });

  it('holds against page migration: the walk sleeps on the migration entry, then finds the new page', async () => {
    // The migration's range_start makes the sequence odd and zaps under driver->update; the
    // walk that meets the migration entry waits for unlock_page (mmap_lock held for read, no
    // spinlock) and walks again; read_retry then rejects anything read before the migration.
    expect(await verdicts(hmm, { path: 'migrate' })).toEqual(ALL_HOLD);
  });

  it('catches no-set-seq: the stale pfn is programmed after the page was freed (13 steps)', async () => {
    const [r] = await checkMutants(hmm);
    expect([r.mutant.name, r.caught, r.traceLength]).toEqual(['no-set-seq', true, 13]);
  });
});
