// Trylocks in the thread DSL (tryAcquire / tryAcquireRead, as spin_trylock, mutex_trylock,
// down_read_trylock, down_write_trylock): the step never blocks, takes the lock only when it
// is free (for read: when no writer holds it), tells the effect and goto through `acquired`,
// never counts as sleeping, and gives the same answer on both engines and under --por.
import { describe, expect, it } from 'vitest';
import { Record as IRecord, type RecordOf } from 'immutable';
import { check, threadModel, type LockKind, type Model, type Step } from '../../src/index.ts';
import { runSearch } from '../../src/explore/engine.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import { answerOf } from '../helpers.ts';

/**
 * Two threads each try lock `l` once: on success they enter a critical section (`inside`
 * counts the threads there) and leave it; on failure they give up. With `ignoreResult` the
 * second thread enters whether or not its trylock succeeded (the classic misuse).
 */
type Inside = RecordOf<{ inside: number }>;
const Inside = IRecord({ inside: 0 });

function tryBoth(kind: LockKind, ignoreResult = false) {
  return threadModel<Inside>({
    name: `trylock-${kind}`,
    shared: Inside(),
    locks: { l: kind },
    threads: [0, 1].map((i) => ({
      name: `t${i}`,
      steps: [
        {
          label: 'trylock',
          kernel: kind === 'spinlock' ? 'spin_trylock' : kind === 'mutex' ? 'mutex_trylock' : 'down_write_trylock',
          tryAcquire: 'l',
          reads: [],
          writes: [],
          targets: ['enter', 'done'],
          goto: (c) => (c.acquired || (ignoreResult && i === 1) ? 'enter' : 'done'),
        },
        { label: 'enter', reads: [], writes: ['inside'], do: (c) => ({ shared: c.shared.set('inside', c.shared.inside + 1) }) },
        { label: 'leave', reads: ['lock:l'], writes: ['inside'], do: (c) => ({ shared: c.shared.set('inside', c.shared.inside - 1) }), goto: (c) => (c.holds('l') ? 'unlock' : 'done'), targets: ['unlock', 'done'] },
        { label: 'unlock', release: 'l' },
      ] satisfies Step<Inside, null>[],
    })),
    invariants: [{ name: 'mutual exclusion', reads: ['inside'], check: (v) => (v.shared.inside <= 1 ? null : `${v.shared.inside} threads inside`) }],
  });
}

async function onBoth(build: () => Model<any, number>, options: { por?: boolean } = {}): Promise<CheckResult> {
  const vector = await runSearch(build(), { workers: 1, engine: 'vector', liveness: false });
  const immutable = await runSearch(build(), { workers: 1, engine: 'immutable', liveness: false });
  expect(vector.stats.engine).toBe('vector');
  expect(answerOf(vector)).toEqual(answerOf(immutable));
  if (options.por) {
    const reduced = await check(build(), { por: true, liveness: false });
    expect(reduced.status === "error" ? reduced.error.message : reduced.status).toBe(vector.status);
    if (reduced.status === 'violated' && vector.status === 'violated') expect(reduced.violation.property).toBe(vector.violation.property);
  }
  return vector;
}

describe('trylock', () => {
  it.each(['spinlock', 'mutex', 'rwsem'] as const)('a %s trylock takes the lock only when free, and its caller that checks the result keeps mutual exclusion (both engines, --por)', async (kind) => {
    const r = await onBoth(() => tryBoth(kind), { por: true });
    expect(r.status).toBe('holds');
    // Hand count: each thread is at trylock, enter, leave, unlock or done. Either t0 or t1
    // wins (or both win one after the other); a loser goes straight to done.
    // Reachable: 5×5 pc pairs minus those with both threads past a successful trylock at once
    // (enter/leave/unlock × enter/leave/unlock: 9) = 16.
    expect(r.stats.distinctStates).toBe(16);
  });

  it('ignoring a failed trylock breaks mutual exclusion; the trace says the trylock failed', async () => {
    const r = await onBoth(() => tryBoth('spinlock', true), { por: true });
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe('mutual exclusion');
    expect(r.violation.trace.steps.map((s) => `${s.actor}:${s.label}`)).toEqual(['t0:trylock', 't0:enter', 't1:trylock (trylock failed)', 't1:enter']);
  });

  it('a trylock never sleeps: mutex_trylock and down_write_trylock under a spinlock hold; mutex_lock there is caught', async () => {
    const under = (step: Step<number, null>) =>
      threadModel<number>({
        name: 'under-spinlock',
        shared: 0,
        locks: { s: 'spinlock', m: 'mutex', w: 'rwsem' },
        threads: [{ name: 't', steps: [{ label: 'spin_lock', acquire: 's' }, step, { label: 'spin_unlock', release: ['s', ...(step.acquire ? ['m'] : [])], goto: (c) => (c.holds('m') || c.holds('w') ? 'unlock' : 'done') }, { label: 'unlock', release: (c) => (c.holds('m') ? 'm' : 'w') }] }],
      });
    expect((await onBoth(() => under({ label: 'mutex_trylock', tryAcquire: 'm' }))).status).toBe('holds');
    expect((await onBoth(() => under({ label: 'down_write_trylock', tryAcquire: 'w' }))).status).toBe('holds');
    expect((await onBoth(() => under({ label: 'down_read_trylock', tryAcquireRead: 'w' }))).status).toBe('holds');
    const r = await onBoth(() => under({ label: 'mutex_lock', acquire: 'm' }));
    expect(r.status).toBe('violated');
    if (r.status === 'violated') expect(r.violation.message).toBe("t at 'mutex_lock' takes m (may sleep) while holding spinlock s");
  });

  it('down_read_trylock succeeds beside a reader and fails against a writer; down_write_trylock fails against a reader', async () => {
    // t0 holds the rwsem (for read or write) for the whole run; t1 tries once and records the result.
    const rw = (t0: 'read' | 'write', t1: 'read' | 'write') =>
      threadModel<number>({
        name: 'rwsem-trylock',
        shared: -1,
        locks: { sem: 'rwsem' },
        threads: [
          { name: 't0', steps: [{ label: 'down', ...(t0 === 'read' ? { acquireRead: 'sem' } : { acquire: 'sem' }) }, { label: 'wait', when: (c) => c.shared !== -1 }, { label: 'up', release: 'sem' }] },
          {
            name: 't1',
            steps: [
              { label: 'try', when: (c) => c.isLocked('sem'), ...(t1 === 'read' ? { tryAcquireRead: 'sem' } : { tryAcquire: 'sem' }), do: (c) => ({ shared: c.acquired ? 1 : 0 }), goto: (c) => (c.acquired ? 'up' : 'done') },
              { label: 'up', release: 'sem' },
            ],
          },
        ],
        invariants: [{ name: 'result', check: (v) => (v.shared === 1 ? 't1 took it' : null) }],
      });
    expect((await onBoth(() => rw('read', 'read'))).status).toBe('violated'); // taken beside the reader
    expect((await onBoth(() => rw('write', 'read'))).status).toBe('holds');
    expect((await onBoth(() => rw('read', 'write'))).status).toBe('holds');
    expect((await onBoth(() => rw('write', 'write'))).status).toBe('holds');
  });

  it('a trylock of a lock the thread holds fails (spin_trylock does not recurse)', async () => {
    const m = threadModel<number>({
      name: 'self',
      shared: 0,
      locks: { l: 'spinlock' },
      threads: [{ name: 't', steps: [{ label: 'lock', acquire: 'l' }, { label: 'try', tryAcquire: 'l', do: (c) => ({ shared: c.acquired ? 1 : 2 }) }, { label: 'unlock', release: 'l' }] }],
      invariants: [{ name: 'failed', check: (v) => (v.shared === 1 ? 'took a held lock' : null) }],
    });
    expect((await onBoth(() => m)).status).toBe('holds');
  });

  it('bad trylock declarations are model errors naming the step', () => {
    const build = (step: Record<string, unknown>) => () =>
      threadModel<number>({ name: 'bad', shared: 0, locks: { l: 'spinlock', sem: 'rwsem' }, threads: [{ name: 't', steps: [{ label: 'try', ...step } as Step<number, null>] }] });
    expect(build({ tryAcquire: ['l'] })).toThrow("'tryAcquire' holds an array: a trylock takes one lock");
    expect(build({ tryAcquireRead: 'l' })).toThrow("tryAcquireRead needs an rwsem, 'l' is a spinlock: use tryAcquire, or declare it 'rwsem'");
    expect(build({ tryAcquire: 'l', tryAcquireRead: 'sem' })).toThrow("has both 'tryAcquire' and 'tryAcquireRead'");
    expect(build({ acquire: 'l', tryAcquire: 'l' })).toThrow("acquires 'l' twice in one step");
    expect(build({ tryAcquire: 'nope' })).toThrow("'nope'");
  });
});
