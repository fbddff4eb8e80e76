// drivers/misc/sgi-gru/grutlbpurge.c and grufault.c (the SGI UV GRU) in v4.10, v4.13-rc and
// v4.13: a coprocessor with its own TLB, filled by the driver from the CPU page table.
//
// Callbacks, as the series' patch "sgi-gru: update to new mmu_notifier semantic" (31 Aug 2017)
// and grutlbpurge.c show them:
//   gru_invalidate_page(address) → gru_flush_tlb_range(gms, address, PAGE_SIZE): a TLB
//     invalidate through a TGH (get_lock_tgh_handle spins; no sleep). Removed by the series.
//   gru_invalidate_range_start: atomic_inc(&gms->ms_range_active); gru_flush_tlb_range.
//   gru_invalidate_range_end: atomic_dec(&gms->ms_range_active); wake_up_all(ms_wait_queue).
// TLB dropin (grufault.c gru_try_dropin, on a TLB miss the GRU reports in a TFH): read the TFH;
//   rmb(); fail with -EAGAIN if ms_range_active (the miss is raised again later); look the
//   address up — atomic_pte_lookup walks the page table (no lock, no reference), and if the PTE
//   is not there non_atomic_pte_lookup faults it in with get_user_pages and put_page;
//   tfh_write_restart writes the translation. Its comment: "The GRU contains magic hardware that
//   eliminates races between TLB invalidates and TLB dropins. If an invalidate occurs in the
//   window between reading the TFH and the subsequent TLB dropin, the dropin is ignored." The
//   model keeps that as `pending`: set when the TFH is read, cleared by every flush; a dropin
//   writes the TLB only while it is set. Dropins here are for reads.
// No later fix of a notifier race in this driver was found.
// huge=true (path=migrate): the GRU's TLB holds both 4 KiB subpages of a hugetlbfs page migrated
// whole; gru_invalidate_page flushes the one it is named. Mutants of v4.13: the dropin without
// the ms_range_active check; a GRU that takes a dropin whose TFH was read before a flush; the
// kernel's range over the first 4 KiB of a huge page.
// Scaling (docs/series.md, "Scaling"): `addresses` pages the GRU translates, one invalidating
// thread each, each with its own dropin threads; `faults` dropin threads per address (TLB misses
// in flight at once, each in its own TFH). `pending` is kept per TFH, and a flush makes the GRU
// ignore every dropin in flight, as the comment above says it does (an invalidate, of any
// address). The existing `misses` is each dropin thread's
// retries — the GRU's `attempts`. The process's thread writes address 0 only.
import { List, Record as ImmRecord, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, threadModel, type Step } from '../../../src/index.ts';
import { clearSptes, COHERENCE, cpuFault, gupOnePage, kernelSide, keysOf, mmInvariants, NO_USE_AFTER_FREE, PAGE_STATES, putPage, setSpte, spteKeys, type FaultKinds, type MmProperty, type MmState, type NotifierOps } from '../../mm/index.ts';
import { perAddressThreads, hugeParam, onePageRangeMutant, refuseHugeAddresses, scaleParams, seriesExpectations, V4_10, V4_13, V4_13_RC, type SeriesPath, type SeriesVersion, seriesParams, seriesVersion } from '../../mm/series.ts';

const VERSIONS: SeriesVersion[] = [V4_10, V4_13_RC, V4_13];
/** Near misses of v4.13: the driver's two guards and the kernel's range over a huge page. */
const MUTANTS = ['none', 'no-range-active', 'no-hw-ignore', 'one-page-range'] as const;
type Mutant = (typeof MUTANTS)[number];

interface GruFields {
  /** gms->ms_range_active. */
  readonly active: number;
  /** Per dropin thread (its TFH), a TLB miss read and not yet written: a flush of its address makes the GRU ignore the dropin. */
  readonly pending: List<boolean>;
}
type S = MmState<GruFields>;

/** gru_flush_tlb_range over [start, end): the TLB entries go, and every dropin in flight is ignored (TFHs 0..tfhs-1). */
function flush(label: string, kernel: string, start: number, end: number, tfhs: number): Step<S, any> {
  return {
    label,
    kernel,
    note: 'gru_flush_tlb_range: tgh_invalidate through a locked TGH, spinning (no sleep); the GRU ignores a dropin whose TFH was read before',
    reads: keysOf('spte', start, end),
    writes: [...keysOf('pending', 0, tfhs), ...spteKeys(start, end)],
    do: ({ shared }) => ({ shared: clearSptes(shared.set('pending', Array.from({ length: tfhs }, (_, j) => j).reduce((p, j) => p.set(j, false), shared.pending)), start, end) }),
  };
}

/** The callbacks, with `tfhs` dropin threads in all (the TFHs a flush cancels). */
function ops(version: string, tfhs: number): NotifierOps<S> {
  const range: NotifierOps<S> = {
    invalidateRangeStart: (start, end) => [
      { label: 'start.active', kernel: 'gru_invalidate_range_start', note: 'atomic_inc(&gms->ms_range_active)', reads: ['active'], writes: ['active'], do: ({ shared }) => ({ shared: shared.set('active', shared.active + 1) }) },
      flush('start.flush', 'gru_invalidate_range_start', start, end, tfhs),
    ],
    invalidateRangeEnd: () => [{ label: 'end.active', kernel: 'gru_invalidate_range_end', note: 'atomic_dec_and_test(&gms->ms_range_active); wake_up_all(&gms->ms_wait_queue)', reads: ['active'], writes: ['active'], do: ({ shared }) => ({ shared: shared.set('active', shared.active - 1) }) }],
  };
  return version === 'v4.13' ? range : { ...range, invalidatePage: (v) => [flush('invalidate_page', 'gru_invalidate_page', v, v + 1, tfhs)] };
}

interface DropinFields {
  readonly page: number | null;
  readonly left: number;
}
type L = RecordOf<DropinFields>;
const DropinLocal = ImmRecord<DropinFields>({ page: null, left: 0 }, 'Dropin');

/** gru_try_dropin for address `a` through TFH `j`, `left` TLB misses (a failed one is raised again); `mutant` drops one of its guards. */
function dropinSteps(o: NotifierOps<S>, victim: number, meets: FaultKinds, mutant: Mutant, a: number, j: number): Step<S, L, any>[] {
  const again = (l: L) => (l.left > 0 ? 'tfh' : DONE);
  const pending = `pending[${j}]`;
  return [
    { label: 'tfh', kernel: 'gru_try_dropin', note: 'a TLB miss: read the TFH (the GRU now ignores the dropin if an invalidate comes before it)', reads: [], writes: [pending], do: ({ shared, local }) => ({ shared: shared.set('pending', shared.pending.set(j, true)), local: local.set('left', local.left - 1) }) },
    mutant === 'no-range-active'
      ? { label: 'range_active', kernel: 'gru_try_dropin', note: 'MUTANT: ms_range_active is not looked at' }
      : { label: 'range_active', kernel: 'gru_try_dropin', note: 'rmb(); ms_range_active → -EAGAIN (failactive: the miss is raised again)', reads: ['active'], writes: [], targets: ['tfh', DONE], do: ({ shared, local }) => (shared.active !== 0 ? { goto: again(local) } : undefined) },
    {
      label: 'atomic_pte_lookup',
      kernel: 'atomic_pte_lookup',
      note: 'rmb(); walk the page table with no lock and no reference: a present PTE gives the page',
      reads: [`pte[${a}]`],
      writes: [],
      targets: ['gup', 'dropin'],
      do: ({ shared, local }) => {
        const page = shared.pte.get(a) ?? null;
        return page === null ? { goto: 'gup' } : { local: local.set('page', page), goto: 'dropin' };
      },
    },
    ...gupOnePage<S, L>(a, {
      label: 'gup',
      next: 'gup_put',
      write: false,
      kernel: 'non_atomic_pte_lookup',
      note: 'get_user_pages (may sleep: the fault comes from a user call, not the interrupt) — a reference',
      ops: o,
      victim,
      meets,
    }),
    { label: 'gup_put', kernel: 'non_atomic_pte_lookup', note: 'paddr := page_to_phys(page); put_page(page)', reads: [], writes: [], updates: ['pages'], do: ({ shared, local }) => ({ shared: putPage(shared, local.page!) }) },
    {
      label: 'dropin',
      kernel: 'tfh_write_restart',
      note: mutant === 'no-hw-ignore'
        ? 'MUTANT: write the translation into the TFH and restart — the GRU takes it even if a flush came since the TFH was read'
        : 'write the translation into the TFH and restart — ignored by the GRU if a flush came since the TFH was read',
      reads: [pending],
      writes: [pending, ...spteKeys(a, a + 1)],
      targets: ['tfh', DONE],
      do: ({ shared, local }) => {
        const s = shared.pending.get(j) || mutant === 'no-hw-ignore' ? setSpte(shared, a, local.page, false) : shared;
        return { shared: s.set('pending', s.pending.set(j, false)), local: local.set('page', null), goto: again(local) };
      },
    },
  ];
}

function verdicts(version: string, path: SeriesPath | 'oom', extra: Readonly<Record<string, string>>): readonly MmProperty[] {
  // A huge page before the series: gru_invalidate_page flushes the 4 KiB page it is named, not the other subpage.
  if (extra.huge === 'true') return version === 'v4.13' ? [] : [NO_USE_AFTER_FREE, COHERENCE];
  return version === 'v4.10' && path === 'lazyfree' ? [COHERENCE] : [];
}

const { expect, variants } = seriesExpectations({ versions: VERSIONS, verdicts, defaults: { version: 'v4.13', path: 'reclaim' }, huge: {} });

export default defineModel({
  name: 'sgi-gru',
  summary: 'SGI GRU in v4.10, v4.13-rc, v4.13: ms_range_active and the hardware that drops a dropin after a flush; breaks in v4.10 on a lazyfree page, and before v4.13 on a migrated hugetlbfs page (huge=true)',
  description: `
The GRU's TLB is filled by gru_try_dropin from the CPU page table; the GRU ignores a dropin if
a flush came after its TFH was read, and the driver refuses dropins while ms_range_active.
v4.10 flushes from invalidate_page after the PTL: on a lazyfree page a thread of the process
maps a fresh page while the GRU's TLB still holds the old one. Under the PTL (v4.13-rc, no
sleep) and with range_start/end (v4.13) every property holds.
huge=true: the device keeps the subpage invalidate_page did not name (v4.10, v4.13-rc); the
range over the whole page holds from v4.13.`,
  kernel: {
    functions: ['gru_invalidate_page', 'gru_invalidate_range_start', 'gru_invalidate_range_end', 'gru_flush_tlb_range', 'gru_try_dropin', 'atomic_pte_lookup', 'non_atomic_pte_lookup', 'tfh_write_restart'],
    files: ['drivers/misc/sgi-gru/grutlbpurge.c', 'drivers/misc/sgi-gru/grufault.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "sgi-gru: update to new mmu_notifier semantic" (v4.13, merged as ea25c4317946)'],
  },
  params: {
    ...seriesParams({ versions: VERSIONS, defaultVersion: 'v4.13', versionDoc: 'the kernel: v4.10, v4.13-rc (v4.11–v4.13-rc), v4.13 (the series)' }),
    misses: int(2, 'TLB misses each dropin thread raises (a failed dropin is raised again)', { min: 1, max: 3 }),
    ...scaleParams({ addresses: 'pages the GRU translates, one invalidating thread and its dropin threads each', faults: 'dropin threads per address (TLB misses in flight at once)' }),
    huge: hugeParam(),
    mutant: oneOf(MUTANTS, 'none', 'a near miss of v4.13 (see mmcheck mutants sgi-gru)'),
  },
  expect,
  variants,
  mutants: [
    { name: 'no-range-active', description: 'gru_try_dropin does not look at ms_range_active: a dropin after range_start\'s flush writes the old page, and range_end flushes nothing', params: { mutant: 'no-range-active' }, breaks: NO_USE_AFTER_FREE },
    { name: 'no-hw-ignore', description: 'the GRU does not ignore a dropin whose TFH was read before a flush: a lookup from before range_start lands after it', params: { mutant: 'no-hw-ignore' }, breaks: NO_USE_AFTER_FREE },
    onePageRangeMutant(),
  ],
  build: ({ version, path, misses, addresses, faults, huge, mutant }) => {
    const v = seriesVersion(VERSIONS, version, path);
    refuseHugeAddresses(huge, addresses);
    // huge: the dropins are of address 0 (both subpages are in the TLB from the start).
    const o = ops(version, addresses * faults);
    // huge: the GRU's TLB holds both subpages before the migration starts.
    const k = kernelSide<GruFields>({ path: path as SeriesPath, addresses: huge ? 2 : addresses, driver: { active: 0, pending: List(Array.from({ length: addresses * faults }, () => false)) }, ops: o, era: v.era, huge, deviceMapped: huge, onePageRange: mutant === 'one-page-range' });
    return threadModel<S>({
      name: 'sgi-gru',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: k.locks,
      threads: [
        ...k.threads,
        ...perAddressThreads('dropin', addresses, faults, (a, j) => ({ locals: DropinLocal({ left: misses }), steps: dropinSteps(o, k.victim, k.meets, mutant as Mutant, a, j) })),
        { name: 'cpu', locals: null, steps: cpuFault<S>(0, o, k.meets) },
      ],
      invariants: mmInvariants<GruFields>(),
    });
  },
});
