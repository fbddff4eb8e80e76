// A11: page_mkclean_one (v4.15+) against drivers that keep or drop the writable mapping.
import { describe, expect, it } from 'vitest';
import mkclean from '../../models/drivers/mkclean-writable.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('mkclean-writable (A11)', () => {
  it('start-only driver: a fault that got the page before the write-protect maps it writable after range_end (7 steps)', async () => {
    // get_user_pages(FOLL_WRITE) before the clear; range_start zaps; PTL; wrprotect+mkclean;
    // unlock; range_end; the fault maps writable. page_mkclean_one (0f10851ea475) calls no
    // invalidate_range: the driver only hears range_start, too early. The page is never freed.
    expect(await verdicts(mkclean)).toEqual({ ...ALL_HOLD, [COHERENCE]: 7, [WRPROTECT]: 7 });
    expect(await states(mkclean)).toBe(40);
  });

  it('keeps-writable driver: the writable SPTE survives writeback outright (5 steps)', async () => {
    // range_start, lock, wrprotect, unlock, range_end — the callback ignored the protection change.
    expect(await verdicts(mkclean, { driver: 'keeps-writable' })).toEqual({ ...ALL_HOLD, [COHERENCE]: 5, [WRPROTECT]: 5 });
    expect(await states(mkclean, { driver: 'keeps-writable' })).toBe(30);
  });

  it('kvm driver: holds — the fault retries, or its write fault makes the PTE writable again', async () => {
    // A vCPU fault overlapping the write-protect fails mmu_notifier_retry; one after it goes
    // through the write fault (wp_page_reuse), which re-dirties the page before mapping.
    expect(await verdicts(mkclean, { driver: 'kvm' })).toEqual(ALL_HOLD);
    expect(await states(mkclean, { driver: 'kvm' })).toBe(170);
  });
});
