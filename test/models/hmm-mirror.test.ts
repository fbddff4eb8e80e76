// A10: the HMM mirror loop over hmm_range_fault, on every invalidating path.
import { describe, expect, it } from 'vitest';
import hmm from '../../models/drivers/hmm-mirror.ts';
import { PATHS } from '../../models/mm/index.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('hmm-mirror (A10)', () => {
  it('holds with one and two mirrors, against MADV_DONTNEED freeing the page before range_end', async () => {
    // hmm_range_fault keeps no page reference, so only read_retry under driver->update
    // stands between a stale pfn and the device: invalidate() sets the sequence under that
    // lock before the batch is freed. mmap_lock (rwsem) is taken for read by the walk, never
    // under a spinlock; the faults the walk resolves (and their direct reclaim) run there.
    expect(await verdicts(hmm)).toEqual(ALL_HOLD);
    expect(await verdicts(hmm, { mirrors: 2 })).toEqual(ALL_HOLD);
    expect([await states(hmm), await states(hmm, { mirrors: 2 })]).toEqual([241, 9_746]);
  });

  it('holds on every invalidating path: the walk waits on a migration entry or the swap-cache page lock, copies a shared page, and starts again', async () => {
    for (const path of PATHS) expect([path, await verdicts(hmm, { path })]).toEqual([path, ALL_HOLD]);
  });

  it('catches no-set-seq: the stale pfn is programmed after the page was freed (14 steps)', async () => {
    // itree.start, invalidate (no set_seq), zap; the mirror's read_begin, walk (pfn 0); the
    // zap path clears, flushes and frees the batch; read_retry passes; program → freed page.
    const [r] = await checkMutants(hmm);
    expect([r.mutant.name, r.caught, r.traceLength]).toEqual(['no-set-seq', true, 14]);
  });
});
