// Liveness verdicts against independently known results: the textbook ones for dining
// philosophers and Peterson (with and without fairness), and a kernel pattern each way —
// KVM's fault loop making progress, and a near miss whose invalidation never ends. Each
// expected verdict is derived in the comment beside it, from the algorithm or the code.
import { describe, expect, it } from 'vitest';
import { check, type CheckResult, type Fairness, type Violation } from '../../src/index.ts';
import dining, { STARVATION_FREEDOM as EATS } from '../../models/classic/dining-philosophers.ts';
import peterson, { STARVATION_FREEDOM as ENTERS, WAITING_ENTERS } from '../../models/classic/peterson.ts';
import kvm from '../../models/drivers/kvm.ts';
import { DEADLOCK, PROGRESS } from './verdicts.ts';

/** Property → 'holds' or the violation (all properties checked). */
async function liveness(def: Parameters<typeof check>[0], params: Record<string, unknown>, fairness?: Fairness) {
  const r: CheckResult = await check(def, { params, fairness, allProperties: true });
  if (r.status === 'error' || r.status === 'incomplete') throw new Error(r.status === 'error' ? r.error.message : r.reason);
  const out: Record<string, 'holds' | Violation> = {};
  for (const p of r.properties) out[p] = 'holds';
  if (r.status === 'violated') for (const v of r.violations) out[v.property] = v;
  return out;
}

const held = (x: 'holds' | Violation) => (x === 'holds' ? 'holds' : 'violated');

describe('dining philosophers (Dijkstra; the textbook liveness results)', () => {
  it.each(['none', 'weak', 'strong'] as const)('left-first, 3 at the table, %s fairness: starvation, since the table can deadlock', async (fairness) => {
    // Every philosopher holding its left fork is a deadlock; that state repeats forever, so
    // under any fairness nobody eats again: a lasso of 3 steps whose loop is that state.
    const v = await liveness(dining, { philosophers: 3 }, fairness);
    expect(held(v[DEADLOCK])).toBe('violated');
    expect(held(v[EATS])).toBe('violated');
    if (fairness === 'strong') expect((v[EATS] as Violation).trace.loopStart).toBe(3); // only the deadlock is left
  });

  it.each([
    // Without fairness a philosopher can simply never be scheduled while the others eat.
    ['none', 'violated'],
    // Weak fairness is not enough for the ordered (asymmetric) table: phil1 takes fork 1
    // first, and phil0 takes fork 0 then fork 1, eats, puts both back, again and again. phil1
    // is enabled only while fork 1 is free — not continuously — so weak fairness lets phil0
    // win fork 1 every time: phil1 starves.
    ['weak', 'violated'],
    // Strong fairness: phil1 is enabled infinitely often, so it must get fork 1; the ordered
    // table has no deadlock, so every philosopher eats infinitely often (the known result for
    // the asymmetric solution).
    ['strong', 'holds'],
  ] as const)('ordered (asymmetric), 3 at the table, %s fairness: starvation freedom %s', async (fairness, want) => {
    const v = await liveness(dining, { philosophers: 3, variant: 'ordered' }, fairness);
    expect(held(v[DEADLOCK])).toBe('holds');
    expect(held(v[EATS])).toBe(want);
    if (fairness === 'weak') {
      const x = v[EATS] as Violation;
      // The loop is phil0's: first, second, eat — phil1 waits for fork 1 at times, never always.
      const loop = x.trace.steps.slice(x.trace.loopStart).map((s) => `${s.actor}:${s.label}`);
      expect(loop).toEqual(['phil0:first', 'phil0:second', 'phil0:eat']);
      expect(x.message).toContain('not infinitely often: phil1 eats');
      expect(x.message).toContain('blocked at times on it (weak fairness asks no more)');
    }
  });

  it('ordered, 4 and 5 at the table: no starvation under strong fairness, starvation under weak', async () => {
    for (const philosophers of [4, 5]) {
      expect(held((await liveness(dining, { philosophers, variant: 'ordered' }, 'strong'))[EATS])).toBe('holds');
      expect(held((await liveness(dining, { philosophers, variant: 'ordered' }, 'weak'))[EATS])).toBe('violated');
    }
  });
});

describe("Peterson's algorithm (starvation-free under weak fairness)", () => {
  it.each([
    // Without fairness the scheduler may run t1 round its loop forever while t0 is never
    // scheduled out of its non-critical section: t0 never enters again.
    ['none', 'violated'],
    // Weak fairness: t0 at 'flag' can always move, so it does; once it waits, t1 can enter at
    // most once more (coming round, t1 writes turn = 0 and blocks), and t0, continuously
    // enabled from then on, enters. So each thread enters infinitely often.
    ['weak', 'holds'],
    ['strong', 'holds'],
  ] as const)('%s fairness: each thread enters infinitely often — %s', async (fairness, want) => {
    const v = await liveness(peterson, {}, fairness);
    expect(held(v[ENTERS])).toBe(want);
    // A thread already waiting enters whatever the scheduler (bounded bypass, as above: once
    // its rival is blocked it is the only thread that can move); and a thread resting in its
    // non-critical section is at an end point, so progress holds even without fairness.
    expect(held(v[WAITING_ENTERS])).toBe('holds');
    expect(held(v[PROGRESS])).toBe('holds');
    if (fairness === 'none') expect((v[ENTERS] as Violation).message).toContain('t0 could move but is never scheduled (no fairness)');
  });
});

describe('kernel: does a KVM fault eventually map?', () => {
  it('yes: a vCPU that faults again until it maps always gets there (strong fairness: queued spinlocks)', async () => {
    // With retry=until-mapped the vCPU retries while an invalidation is active or completed
    // since it read mmu_notifier_seq. The one reclaim thread finishes its invalidation in a
    // bounded number of steps once it gets mmu_lock, which strong fairness (a queued spinlock
    // is handed to its waiter) guarantees; after that seq and count stay still and the next
    // retry maps. So every thread finishes: progress holds.
    for (const params of [{ retry: 'until-mapped' }, { retry: 'until-mapped', faults: 2, attempts: 2 }]) {
      const v = await liveness(kvm, params);
      expect(Object.values(v).map(held)).toEqual(Object.values(v).map(() => 'holds'));
    }
  });

  it('under weak fairness alone, a retrying vCPU can keep range_end off mmu_lock forever (MADV_DONTNEED)', async () => {
    // path=dontneed: the madvise thread waits at 'end.lock' for mmu_lock, which the vCPU takes
    // on every retry: the waiter is enabled only while the lock is free, so weak fairness does
    // not make it win, and the vCPU retries forever (count stays 1). Its gup finds pte_none
    // once the zap ran and faults a fresh page in without waiting for anything.
    const v = await liveness(kvm, { retry: 'until-mapped', path: 'dontneed' }, 'weak');
    const x = v[PROGRESS] as Violation;
    expect(x.message).toContain("madvise is stuck at 'end.lock'");
    expect(x.trace.steps.slice(x.trace.loopStart).every((s) => s.actor === 'vcpu0')).toBe(true);
  });

  it('on reclaim (and migration) weak fairness is enough: the retrying vCPU sleeps on the page lock', async () => {
    // shrink_page_list holds the page lock from before range_start until after range_end; once
    // try_to_unmap_one has put the swap entry in the PTE, the vCPU's gup faults, and
    // do_swap_page's lock_page sleeps until reclaim unlocks — so the vCPU cannot keep taking
    // mmu_lock, and reclaim's range_end gets it. Migration's entry wait does the same.
    for (const path of ['reclaim', 'migrate']) expect(held((await liveness(kvm, { retry: 'until-mapped', path }, 'weak'))[PROGRESS])).toBe('holds');
    // The pre-issue-19 kernel side (no page lock, no swap entry) needs strong fairness.
    expect(held((await liveness(kvm, { retry: 'until-mapped', path: 'classic' }, 'weak'))[PROGRESS])).toBe('violated');
  });

  it('no, for the near miss whose range_end forgets mmu_notifier_count--: the vCPU retries forever', async () => {
    // count-leak: after range_end the count stays 1, so mmu_notifier_retry() is true forever
    // and the vCPU loops read_seq, gup, lock, check, retry — under any fairness (it moves on
    // the loop; the reclaim thread has finished). A livelock, not a deadlock.
    for (const fairness of ['weak', 'strong'] as const) {
      const v = await liveness(kvm, { retry: 'until-mapped', mutant: 'count-leak' }, fairness);
      expect(held(v[DEADLOCK])).toBe('holds');
      const x = v[PROGRESS] as Violation;
      if (fairness === 'strong') {
        const loop = x.trace.steps.slice(x.trace.loopStart).map((s) => s.label);
        expect([...loop].sort()).toEqual(['check', 'gup', 'lock', 'read_seq(0)', 'retry']);
        // The loop's rotation depends on where the search first closed it.
        expect(x.message).toMatch(/vcpu0 loops through ('(lock|check|retry|read_seq|gup)'(, | and never)){5}/);
      }
    }
  });

  it('no, against an endless invalidation storm: seq/count retry is not starvation-free', async () => {
    // storm=true: a daemon calls range_start/range_end on the address forever. Each time the
    // vCPU checks, an invalidation has started or ended since it read the sequence: it
    // retries forever under any fairness. The kernel accepts this (the retry loop has no
    // bound; invalidations of one range are finite in practice).
    for (const fairness of ['weak', 'strong'] as const) {
      const x = (await liveness(kvm, { retry: 'until-mapped', storm: true }, fairness))[PROGRESS] as Violation;
      expect(x.message).toContain("vcpu0 loops through 'read_seq', 'gup', 'lock', 'check', 'retry'");
    }
    // A vCPU that gives up after its attempts does finish (strong fairness: it gets mmu_lock).
    expect(held((await liveness(kvm, { storm: true }))[PROGRESS])).toBe('holds');
  });
});
