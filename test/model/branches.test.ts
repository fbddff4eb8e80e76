// Steps with `branches` (a Promela `if` whose options lock differently): each enabled branch
// is one action with its own guard, lock operations, effect and goto; traces name the branch
// and its locks; both engines, partial-order reduction and the sleep check see each branch's
// locks; a step whose every branch is disabled is explained branch by branch.
import { describe, expect, it } from 'vitest';
import { Record } from 'immutable';
import { threadModel, type Model, type Step } from '../../src/index.ts';
import { bfs } from '../../src/explore/bfs.ts';
import { renderViolation } from '../../src/trace/text.ts';
import { onBothEngines } from '../helpers.ts';
import { expectSameVerdicts } from '../reduce/compare.ts';

/**
 * Two threads, each taking locks a and b in either order — `first` has one branch per lock,
 * `second` one branch per lock too (the one it holds is disabled: taking it again waits) —
 * then releasing both: ABBA when the threads pick different first locks.
 */
function eitherOrder(): Model<any, number> {
  const steps: Step<number, null>[] = [
    { label: 'first', branches: [{ name: 'a', acquire: 'a' }, { name: 'b', acquire: 'b' }] },
    { label: 'second', branches: [{ name: 'a', acquire: 'a' }, { name: 'b', acquire: 'b' }] },
    { label: 'work', do: (c) => ({ shared: c.shared + 1 }) },
    { label: 'unlock', release: ['a', 'b'] },
  ];
  return threadModel<number>({ name: 'either-order', shared: 0, locks: { a: 'mutex', b: 'mutex' }, threads: [0, 1].map((i) => ({ name: `t${i}`, steps })) });
}

/**
 * A try-lock as a Promela `if`: `grab` either takes l and counts (branch 'locked'), or — when
 * l is held — goes round again without it ('busy'); `drop` releases l. The counter counts
 * critical sections; under the lock nobody else is in one.
 */
function tryLock(): Model<any, number> {
  const steps: Step<{ inside: number; done: number } & any, null>[] = [
    {
      label: 'grab',
      branches: [
        { name: 'locked', acquire: 'l', do: (c) => ({ shared: c.shared.set('inside', c.shared.inside + 1) }), goto: 'crit' },
        { name: 'busy', when: (c) => c.isLocked('l'), goto: 'grab' },
      ],
    },
    { label: 'crit', do: (c) => ({ shared: c.shared.set('done', c.shared.done + 1) }) },
    { label: 'drop', release: 'l', do: (c) => ({ shared: c.shared.set('inside', c.shared.inside - 1) }) },
  ];
  return threadModel<any>({
    name: 'try-lock',
    shared: new (Record({ inside: 0, done: 0 }))(),
    locks: { l: 'spinlock' },
    threads: [0, 1].map((i) => ({ name: `t${i}`, steps })),
    invariants: [{ name: 'one inside', check: (v) => (v.shared.inside <= 1 ? null : `${v.shared.inside} inside`) }],
  });
}

describe('steps with branches', () => {
  it('each branch takes its own lock: the ABBA deadlock of two threads picking different first locks, traced with the branch and its lock, on both engines', async () => {
    const r = await onBothEngines(eitherOrder, true);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    const dl = r.violations.find((v) => v.property === 'deadlock freedom')!;
    expect(dl.trace.steps.map((s) => `${s.actor}:${s.label}`)).toEqual(['t0:first[a] (takes a)', 't1:first[b] (takes b)']);
    expect(dl.trace.steps.map((s) => s.locksHeld)).toEqual([['a'], ['b']]);
    // Each branch explained: the one whose lock the thread holds waits for itself, the other for the other thread.
    expect(dl.message).toBe(
      "no thread can move: t0 at 'second' has no branch enabled ([a] waits for a, which it holds itself (a lock taken twice deadlocks); [b] waits for b (held by t1)); " +
        "t1 at 'second' has no branch enabled ([a] waits for a (held by t0); [b] waits for b, which it holds itself (a lock taken twice deadlocks))",
    );
    expect(renderViolation(dl)).toContain('first[a] (takes a)');
    // Only the deadlock: a thread that took both locks works and releases them.
    expect(r.violations.map((v) => v.property)).toEqual(['deadlock freedom']);
  });

  it('a branch with a guard and no lock beside a branch that locks (a try-lock): mutual exclusion holds on both engines', async () => {
    const r = await onBothEngines(tryLock, true);
    expect(r.status).toBe('holds');
    // grab: t0 locked / busy only while t1 holds l; states are small enough to count by hand:
    // per thread pc ∈ {grab, crit, drop, done}, and l's holder is the thread at crit or drop.
    expect(r.stats.distinctStates).toBe(4 * 4 - 4 /* both inside */ - 0);
  });

  it('the sleep check sees a branch that takes a mutex while its thread holds a spinlock, and names the branch', async () => {
    const build = () =>
      threadModel<number>({
        name: 'branch-sleeps',
        shared: 0,
        locks: { s: 'spinlock', m: 'mutex' },
        threads: [
          {
            name: 't',
            steps: [
              { label: 'spin', acquire: 's' },
              { label: 'pick', branches: [{ name: 'fast', do: (c) => ({ shared: c.shared + 1 }) }, { name: 'slow', acquire: 'm', release: 'm', kernel: 'mutex_lock' }] },
              { label: 'unspin', release: 's' },
            ],
          },
        ],
      });
    const r = await onBothEngines(build, true);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violations.map((v) => v.message)).toEqual(["t at 'pick[slow]' (mutex_lock) takes m (may sleep) while holding spinlock s"]);
  });

  it('partial-order reduction sees the locks of each branch: the same verdicts and terminal states as the full search', async () => {
    // With footprints declared (nothing shared but the locks, which branches add by name) and inferred.
    const declared = () =>
      threadModel<number>({
        name: 'either-order-declared',
        shared: 0,
        locks: { a: 'mutex', b: 'mutex' },
        threads: [0, 1, 2].map((i) => ({
          name: `t${i}`,
          steps: [
            { label: 'local', reads: [], writes: [] },
            { label: 'first', branches: [{ name: 'a', acquire: 'a' }, { name: 'b', acquire: 'b' }] },
            { label: 'second', branches: [{ name: 'a', acquire: 'a' }, { name: 'b', acquire: 'b' }] },
            { label: 'unlock', release: ['a', 'b'] },
          ] satisfies Step<number, null>[],
        })),
      });
    await expectSameVerdicts(declared, 'either order, three threads', 10_000);
    await expectSameVerdicts(eitherOrder, 'either order', 10_000);
    const full = await bfs(declared(), { allProperties: true });
    expect(full.status).toBe('violated');
  });

  it.each([
    [{ label: 'p', branches: [] }, "model 'bad', thread 't', step 'p': 'branches' is an empty array: write a non-empty array of"],
    [{ label: 'p', branches: [{ name: 'x', aquire: 'l' }] }, "branch 'x' has an unknown key 'aquire' (did you mean 'acquire'?)"],
    [{ label: 'p', do: () => undefined, branches: [{ name: 'x' }] }, "a step with 'branches' has no 'do' of its own: give each branch its own 'do'"],
    [{ label: 'p', branches: [{ name: 'x' }, { name: 'x' }] }, "two branches are named 'x'"],
    [{ label: 'p', branches: [{ goto: 'nowhere' }] }, "goto 'nowhere' (in branch '1') names no step of thread 't'"],
    [{ label: 'p', acquire: 'l', branches: [{ name: 'x', acquire: 'l' }] }, "branch 'x' acquires 'l' twice in one step"],
    [{ label: 'p', branches: [{ name: 'x', acquire: 'nope' }] }, "step 'p': lock 'nope' is not declared in 'locks'; declared: l"],
  ])('a malformed branch is a model error naming the step: %j', (step, message) => {
    expect(() => threadModel<number>({ name: 'bad', shared: 0, locks: { l: 'mutex' }, threads: [{ name: 't', steps: [step as Step<number, null>] }] })).toThrow(message);
  });
});
