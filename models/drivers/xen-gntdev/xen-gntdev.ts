// drivers/xen/gntdev.c (the Xen grant-table device) in v4.10, v4.13-rc, v4.13 and v4.19: a
// notifier on the whole mm of a process that has /dev/xen/gntdev open, whose callback takes
// the device's mutex before it looks at the address.
//
// Callbacks, as the series' patch "xen/gntdev: update to new mmu_notifier semantic" (31 Aug
// 2017) and 93065ac753e4 (v4.19) show them:
//   mn_invl_range_start(start, end): mutex_lock(&priv->lock); for each grant map (and each
//     freeable map) overlapping the range, unmap_if_in_range → unmap_grant_pages (a grant
//     unmap hypercall); mutex_unlock.
//   mn_invl_page(address) → mn_invl_range_start(address, address + PAGE_SIZE): the same mutex,
//     for every address of the mm — whether a grant map is there or not. Under the PTL from
//     v4.11 (c7ab0d2fdc84) until the series removed it ("prior to commit a81461b0546c ...
//     wired the mn_invl_range_start() which takes a mutex to invalidate_page, which is defined
//     to run in an atomic context", a linux-mm discussion of 2018).
//   v4.19 (93065ac753e4): not blockable → mutex_trylock(&priv->lock) or -EAGAIN, and
//     unmap_if_in_range returns -EAGAIN instead of unmapping a map in the range.
// The page reclaimed here is an ordinary anonymous page of the process (grant maps are not on
// the LRU: reclaim and migration never reach them), so no grant map overlaps it: what is at
// stake is the lock the callback takes, not a mapping. The `ioctl` thread stands for the
// device's own users of priv->lock (gntdev_ioctl_map_grant_ref adds a map under it).
// Not modelled: the grant maps themselves and their unmap on munmap.
// Scaling (docs/series.md, "Scaling"): `addresses` anonymous pages, one invalidating thread
// each — every callback takes the one priv->lock, whatever the address; `faults` map ioctls
// contending for it. No `attempts`: nothing here retries.
import { defineModel, oneOf, threadModel, type Step } from '../../../src/index.ts';
import { kernelSide, mmInvariants, PAGE_STATES, type CallContext, type MmProperty, type MmState, type NotifierOps } from '../../mm/index.ts';
import { driverThreadName, laterVersion, scaleParams, seriesExpectations, V4_10, V4_13, V4_13_RC, type SeriesPath, seriesParams, seriesVersion } from '../../mm/series.ts';

const VERSIONS = [V4_10, V4_13_RC, V4_13, laterVersion('v4.19')];
type S = MmState;
const PRIV_LOCK = 'priv_lock';

/** mn_invl_range_start over [start, end) (also what mn_invl_page runs); v4.19 honours the blockable flag. */
function invlRangeStart(prefix: string, kernel: string, ctx: CallContext, trylock: boolean): Step<S, any>[] {
  if (trylock && !ctx.blockable) {
    return [
      {
        label: `${prefix}trylock`,
        kernel: 'mn_invl_range_start',
        note: 'not blockable: mutex_trylock(&priv->lock) — taken: no map in the range, unlock; held by another thread: -EAGAIN',
        reads: ['lock:priv_lock'],
        writes: [],
        targets: [ctx.fail ?? 'done'],
        do: (c) => (c.isLocked(PRIV_LOCK) ? { goto: ctx.fail ?? 'done' } : undefined),
      },
    ];
  }
  return [
    { label: `${prefix}lock`, kernel, note: 'mutex_lock(&priv->lock) — sleeps', acquire: PRIV_LOCK },
    { label: `${prefix}maps`, kernel: 'unmap_if_in_range', note: 'holds priv->lock: no grant map overlaps this anonymous page; mutex_unlock(&priv->lock)', release: PRIV_LOCK },
  ];
}

/** The near miss of v4.19: mutex_lock(&priv->lock) whatever the blockable flag says. */
const MUTANTS = ['none', 'lock-when-nonblocking'] as const;

function ops(version: string, mutant: string): NotifierOps<S> {
  const v419 = version === 'v4.19' && mutant !== 'lock-when-nonblocking';
  const range: NotifierOps<S> = { invalidateRangeStart: (_start, _end, ctx) => invlRangeStart('start.', 'mn_invl_range_start', ctx, v419) };
  if (version === 'v4.10' || version === 'v4.13-rc') return { ...range, invalidatePage: () => invlRangeStart('inv_page.', 'mn_invl_page', { blockable: true }, false) };
  return range;
}

/** A user of the device taking priv->lock (gntdev_ioctl_map_grant_ref: gntdev_add_map under it). */
const ioctlSteps: Step<S, null>[] = [
  { label: 'lock', kernel: 'gntdev_ioctl_map_grant_ref', note: 'mutex_lock(&priv->lock)', acquire: PRIV_LOCK },
  { label: 'add_map', kernel: 'gntdev_add_map', note: 'holds priv->lock: insert the new map in the sorted list; mutex_unlock', release: PRIV_LOCK, goto: 'done' },
];

function verdicts(version: string, path: SeriesPath | 'oom'): readonly MmProperty[] {
  // The mutex under the PTL: invalidate_page on the unmaps of v4.11–v4.13-rc.
  return version === 'v4.13-rc' && path !== 'dontneed' ? ['no sleeping under a spinlock'] : [];
}

const { expect, variants } = seriesExpectations({ versions: VERSIONS, verdicts, defaults: { version: 'v4.13-rc', path: 'reclaim' }, extraPaths: { 'v4.19': ['oom'] } });

export default defineModel({
  name: 'xen-gntdev',
  summary: 'Xen gntdev in v4.10, v4.13-rc, v4.13, v4.19: its mutex under the PTL in v4.13-rc; try-lock in the OOM reaper from v4.19',
  description: `
Reclaim (or migration) of any anonymous page of a process with /dev/xen/gntdev open calls
gntdev's callback, which takes priv->lock before looking for a grant map. v4.10 calls it after
the PTL: holds. v4.13-rc (v4.11–v4.13-rc) calls it under the PTL: a mutex under a spinlock.
v4.13 calls range_start with no lock held: holds. v4.19 adds the OOM reaper's non-blockable
call, where gntdev try-locks and returns -EAGAIN: holds.`,
  kernel: {
    functions: ['mn_invl_page', 'mn_invl_range_start', 'unmap_if_in_range', 'gntdev_ioctl_map_grant_ref'],
    files: ['drivers/xen/gntdev.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'a81461b0546c xen/gntdev: update to new mmu_notifier semantic (v4.13)', '93065ac753e4 mm, oom: distinguish blockable mode for mmu notifiers (v4.19)'],
  },
  params: {
    ...seriesParams({ versions: VERSIONS, defaultVersion: 'v4.13-rc', versionDoc: 'the kernel: v4.10, v4.13-rc (v4.11–v4.13-rc), v4.13 (the series), v4.19 (blockable)', oom: true }),
    ...scaleParams({ addresses: 'anonymous pages of the process the kernel invalidates, one thread each (every callback takes priv->lock)', faults: 'gntdev_ioctl_map_grant_ref threads taking priv->lock' }),
    mutant: oneOf(MUTANTS, 'none', 'a near miss of v4.19 (see mmcheck mutants xen-gntdev)'),
  },
  expect,
  variants,
  mutants: [
    {
      name: 'lock-when-nonblocking',
      description: "v4.19: mn_invl_range_start takes priv->lock with mutex_lock in the OOM reaper's non-blockable call too (93065ac753e4 without its mutex_trylock)",
      params: { mutant: 'lock-when-nonblocking', version: 'v4.19', path: 'oom' },
      breaks: 'no sleeping under a spinlock',
    },
  ],
  build: ({ version, path, addresses, faults, mutant }) => {
    const v = seriesVersion(VERSIONS, version, path);
    const k = kernelSide<object>({ path: path as SeriesPath | 'oom', addresses, driver: {}, ops: ops(version, mutant), era: v.era });
    return threadModel<S>({
      name: 'xen-gntdev',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [PRIV_LOCK]: 'mutex' },
      threads: [...k.threads, ...Array.from({ length: faults }, (_, i) => ({ name: driverThreadName('ioctl', { index: i, count: faults }), locals: null, steps: ioctlSteps }))],
      invariants: mmInvariants(),
    });
  },
});
