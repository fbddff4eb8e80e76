// Sleepable RCU (kernel/rcu/srcutree.c, include/linux/srcu.h; v4.14): read sections that may
// sleep, and synchronize_srcu waiting for every read section that began before it. The
// notifier core walks its subscriber list inside srcu_read_lock(&srcu) and
// mmu_notifier_unregister waits with synchronize_srcu (mm/mmu_notifier.c since v3.7).
//
//   srcu_read_lock(sp)     idx = sp->srcu_idx & 1; this_cpu_inc(lock_count[idx]); returns idx
//   srcu_read_unlock(sp)   this_cpu_inc(unlock_count[idx])
//   synchronize_srcu(sp)   a grace period (srcu_advance_state): SCAN1 waits until no reader is
//                          left on the inactive index (try_check_zero(idx ^ 1)), srcu_flip makes
//                          it the active one, SCAN2 waits until no reader is left on the index
//                          new readers no longer use. Sleeps. Inside a read section of the same
//                          srcu_struct it waits for itself: lockdep's "Illegal synchronize_srcu()
//                          in same-type SRCU critical section", and a deadlock.
// The state, in a field the composing model names, is the active index and, per index, a bit
// mask of the threads reading under it (bit tid) — the two counters per index, per thread.
// Every read section that began before synchronize_srcu is on one of the two indices when it
// starts, and both are waited for; a section that began after may be waited for too (as in the
// kernel). Two synchronize_srcu at once interleave safely: each waits on an index only after
// the readers of the other index drained.
// FIXME: a thread nesting srcu_read_lock of one srcu_struct (legal in the kernel) is refused
// (a failed assertion): the mask counts one section per thread. The bit is the thread index,
// so threads using SRCU cannot be a symmetry group.
import { List, Record, type RecordOf } from 'immutable';
import { assert } from '../../src/model/assertion.ts';
import type { Step, StepContext } from '../../src/model/dsl.ts';
import { fieldOf, withField } from './field.ts';

/** An srcu_struct's state. */
export interface SrcuFields {
  /** srcu_idx & 1: the index new readers count themselves under. */
  readonly idx: number;
  /** Per index: the threads inside a read section counted under it (bit tid). */
  readonly readers: List<number>;
}
/** An srcu_struct's state, kept in a field of the shared state the composing model names. */
export type Srcu = RecordOf<SrcuFields>;
/** A fresh srcu_struct (init_srcu_struct / DEFINE_SRCU). */
export const Srcu = Record<SrcuFields>({ idx: 0, readers: List([0, 0]) }, 'Srcu');

/** Options of an SRCU step. */
export interface SrcuStepOptions {
  /** The step's label (default the kernel function's name); unique within its thread. */
  readonly label?: string;
}

/** Whether thread `tid` is inside a read section (for invariants). */
export function inSrcuReadSection(s: unknown, srcu: string, tid: number): boolean {
  const r = fieldOf<Srcu>(s, srcu).readers;
  return ((r.get(0)! | r.get(1)!) & (1 << tid)) !== 0;
}

/** srcu_read_lock(&sp): this thread's read section begins, counted under the active index. Never sleeps. */
export function srcuReadLock<S>(srcu: string, o: SrcuStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'srcu_read_lock',
    kernel: 'srcu_read_lock',
    note: `idx = ${srcu}.srcu_idx & 1; lock_count[idx]++`,
    reads: [srcu],
    writes: [srcu],
    do: (c: StepContext<S, any>) => {
      const sp = fieldOf<Srcu>(c.shared, srcu);
      assert(!inSrcuReadSection(c.shared, srcu, c.tid), `srcu_read_lock(${srcu}) nested in this thread's own read section: not modelled (one section per thread)`);
      return { shared: withField(c.shared, srcu, sp.set('readers', sp.readers.update(sp.idx, (m) => m! | (1 << c.tid)))) };
    },
  };
}

/** srcu_read_unlock(&sp, idx): this thread's read section ends. */
export function srcuReadUnlock<S>(srcu: string, o: SrcuStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'srcu_read_unlock',
    kernel: 'srcu_read_unlock',
    note: `unlock_count[idx]++ (idx from srcu_read_lock)`,
    reads: [srcu],
    writes: [srcu],
    do: (c: StepContext<S, any>) => {
      const sp = fieldOf<Srcu>(c.shared, srcu);
      assert(inSrcuReadSection(c.shared, srcu, c.tid), `srcu_read_unlock(${srcu}) outside a read section`);
      return { shared: withField(c.shared, srcu, sp.set('readers', sp.readers.map((m) => m & ~(1 << c.tid)))) };
    },
  };
}

/**
 * synchronize_srcu(&sp), two steps: wait (sleeping) for the inactive index's readers and flip
 * the index; then wait for the readers of the index just left. Inside a read section of the
 * same srcu_struct it deadlocks.
 */
export function synchronizeSrcu<S>(srcu: string, o: SrcuStepOptions = {}): Step<S, any>[] {
  const label = o.label ?? 'synchronize_srcu';
  const drained = (c: StepContext<S, any>) => {
    const sp = fieldOf<Srcu>(c.shared, srcu);
    return sp.readers.get(sp.idx ^ 1) === 0;
  };
  return [
    {
      label,
      kernel: 'synchronize_srcu',
      note: `might_sleep(); SCAN1: wait for the readers of ${srcu}'s inactive index; srcu_flip`,
      maySleep: true,
      reads: [srcu],
      writes: [srcu],
      when: drained,
      do: (c) => {
        const sp = fieldOf<Srcu>(c.shared, srcu);
        return { shared: withField(c.shared, srcu, sp.set('idx', sp.idx ^ 1)) };
      },
    },
    {
      label: `${label}.scan2`,
      kernel: 'synchronize_srcu',
      note: `SCAN2: wait for the readers of the index ${srcu} just left (every section begun before the grace period)`,
      maySleep: true,
      reads: [srcu],
      writes: [],
      when: drained,
    },
  ];
}
