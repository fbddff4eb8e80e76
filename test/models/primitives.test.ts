// The kernel primitives of models/mm (workqueue, completion, wait queue, kref, seqcount,
// SRCU, several notifier subscribers): for each, a small model using it as the kernel code
// allows holds, and one using it wrongly is caught with the property the kernel's own
// checks would name (deadlock, sleep under a spinlock, a refcount_t use-after-free, a torn
// read) — the same answer on both engines.
import { describe, expect, it } from 'vitest';
import { Record as IRecord, type RecordOf } from 'immutable';
import { ASSERTIONS, DEADLOCK, NO_SLEEP_UNDER_SPINLOCK, assert, threadModel, type Model, type Step, type ThreadSpec } from '../../src/index.ts';
import { runSearch } from '../../src/explore/engine.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import {
  cancelWorkSync,
  complete,
  completeAll,
  flushWork,
  krefGet,
  krefPut,
  queueWork,
  readSeqcountBegin,
  readSeqcountRetry,
  Srcu,
  srcuReadLock,
  srcuReadUnlock,
  synchronizeSrcu,
  waitEvent,
  waitForCompletion,
  wakeUp,
  Work,
  workerThread,
  writeSeqcountBegin,
  writeSeqcountEnd,
} from '../../models/mm/index.ts';
import { answerOf } from '../helpers.ts';

interface Fields {
  work: Work;
  runs: number;
  /** The object the work item / reader uses: alive until freed. */
  alive: boolean;
  done: number;
  wq: number;
  cond: number;
  ref: number;
  releases: number;
  seq: number;
  x: number;
  y: number;
  srcu: Srcu;
}
type S = RecordOf<Fields>;
const Shared = IRecord<Fields>({ work: Work(), runs: 0, alive: true, done: 0, wq: 0, cond: 0, ref: 1, releases: 0, seq: 0, x: 0, y: 0, srcu: Srcu() }, 'Shared');

/** A step with only an effect on the shared state. */
const act = (label: string, f: (s: S) => S): Step<S, any> => ({ label, do: (c) => ({ shared: f(c.shared) }) });
/** A step asserting `ok` of the shared state. */
const check = (label: string, ok: (s: S) => boolean, message: string): Step<S, any> => ({ label, do: (c) => void assert(ok(c.shared), message) });

function model(name: string, threads: ThreadSpec<S, any>[], locks: Record<string, 'spinlock' | 'mutex'> = {}) {
  return threadModel<S>({ name, shared: Shared(), locks, threads, progress: false });
}

async function verdict(build: () => Model<any, number>): Promise<CheckResult> {
  const vector = await runSearch(build(), { workers: 1, engine: 'vector', liveness: false });
  const immutable = await runSearch(build(), { workers: 1, engine: 'immutable', liveness: false });
  expect(answerOf(vector)).toEqual(answerOf(immutable));
  return vector;
}

function violated(r: CheckResult): { property: string; message: string; steps: string[] } {
  expect(r.status).toBe('violated');
  if (r.status !== 'violated') throw new Error('not violated');
  return { property: r.violation.property, message: r.violation.message, steps: r.violation.trace.steps.map((s) => `${s.actor}:${s.label}`) };
}

describe('workqueue (kernel/workqueue.c)', () => {
  const runOnce = act('work_fn', (s) => s.set('runs', s.runs + 1));

  it('queue_work on a pending item returns false and does not queue it twice: the work runs once per successful queue_work', async () => {
    // q counts the queue_work calls that returned true; after flush_work the item ran exactly that often.
    const build = () =>
      model('queue-twice', [
        {
          name: 'q',
          locals: 0,
          steps: [
            queueWork<S>('work', { label: 'queue1' }),
            { label: 'count1', do: (c) => ({ local: c.local + 1 }) },
            queueWork<S>('work', { label: 'queue2', busy: 'flush_work' }),
            { label: 'count2', do: (c) => ({ local: c.local + 1 }) },
            flushWork<S>('work'),
            { label: 'check', do: (c) => void assert(c.shared.runs === c.local, `ran ${c.shared.runs} times for ${c.local} successful queue_work`) },
          ],
        },
        workerThread<S>('kworker', [{ work: 'work', fn: [runOnce] }]),
      ]);
    const r = await verdict(build);
    expect(r.status).toBe('holds');
  });

  it('flush_work from the work function itself deadlocks', async () => {
    const r = await verdict(() => model('self-flush', [{ name: 'q', steps: [queueWork<S>('work')] }, workerThread<S>('kworker', [{ work: 'work', fn: [runOnce, flushWork<S>('work')] }])]));
    const v = violated(r);
    expect(v.property).toBe(DEADLOCK);
    expect(v.message).toContain("kworker at 'work.flush_work' waits (guard false)");
    expect(v.steps).toEqual(['q:queue_work', 'kworker:worker_thread(work)', 'kworker:work.work_fn']);
  });

  it('cancel_work_sync before freeing what the work uses: the work never sees it freed; freeing without it is a use-after-free', async () => {
    const useObject = check('use_object', (s) => s.alive, 'cancel_userptr-like work touched a freed object');
    const build = (cancel: boolean) => () =>
      model(`cancel-${cancel}`, [
        { name: 'q', steps: [queueWork<S>('work'), ...(cancel ? cancelWorkSync<S>('work') : []), act('kfree', (s) => s.set('alive', false))] },
        workerThread<S>('kworker', [{ work: 'work', fn: [useObject] }]),
      ]);
    expect((await verdict(build(true))).status).toBe('holds');
    const v = violated(await verdict(build(false)));
    expect(v.property).toBe(ASSERTIONS);
    expect(v.steps).toEqual(['q:queue_work', 'q:kfree', 'kworker:worker_thread(work)', 'kworker:work.use_object (assertion failed)']);
  });
});

describe('completion (kernel/sched/completion.c)', () => {
  it('wait_for_completion under a spinlock sleeps under a spinlock', async () => {
    const v = violated(
      await verdict(() =>
        model('wait-under-spinlock', [{ name: 'waiter', steps: [{ label: 'spin_lock', acquire: 'lock' }, waitForCompletion<S>('done'), { label: 'spin_unlock', release: 'lock' }] }, { name: 'completer', steps: [complete<S>('done')] }], { lock: 'spinlock' }),
      ),
    );
    expect(v.property).toBe(NO_SLEEP_UNDER_SPINLOCK);
    expect(v.message).toBe("waiter at 'wait_for_completion' (wait_for_completion) may sleep while holding spinlock lock");
  });

  it('one complete() lets one of two waiters through (the other waits forever); complete_all lets both', async () => {
    const waiters = (i: number): ThreadSpec<S, any> => ({ name: `waiter${i}`, steps: [waitForCompletion<S>('done')] });
    const v = violated(await verdict(() => model('complete-one', [waiters(0), waiters(1), { name: 'completer', steps: [complete<S>('done')] }])));
    expect(v.property).toBe(DEADLOCK);
    expect((await verdict(() => model('complete-all', [waiters(0), waiters(1), { name: 'completer', steps: [completeAll<S>('done')] }]))).status).toBe('holds');
    expect((await verdict(() => model('complete-twice', [waiters(0), waiters(1), { name: 'completer', steps: [complete<S>('done', { label: 'c1' }), complete<S>('done', { label: 'c2' })] }]))).status).toBe('holds');
  });
});

describe('wait queue (include/linux/wait.h)', () => {
  const waiter: ThreadSpec<S, any> = {
    name: 'waiter',
    steps: [...waitEvent<S>('wq', (c) => c.shared.cond === 2, { what: 'cond == 2', reads: ['cond'] }), check('after', (s) => s.cond === 2, 'wait_event returned with its condition false')],
  };
  it('a condition made true with wake_up: the waiter re-tests after each wake-up and goes on only when it holds', async () => {
    const setter: ThreadSpec<S, any> = { name: 'setter', steps: [act('cond=1', (s) => s.set('cond', 1)), wakeUp<S>('wq', { label: 'wake1' }), act('cond=2', (s) => s.set('cond', 2)), wakeUp<S>('wq', { label: 'wake2' })] };
    expect((await verdict(() => model('wait-event', [waiter, setter]))).status).toBe('holds');
  });

  it('a condition made true without wake_up leaves the waiter asleep forever (a deadlock)', async () => {
    const setter: ThreadSpec<S, any> = { name: 'setter', steps: [act('cond=2', (s) => s.set('cond', 2))] };
    const v = violated(await verdict(() => model('lost-wakeup', [waiter, setter])));
    expect(v.property).toBe(DEADLOCK);
    expect(v.message).toContain("waiter at 'wait_event.schedule'");
    expect(v.steps).toEqual(['waiter:wait_event', 'setter:cond=2']);
  });
});

describe('kref (include/linux/kref.h)', () => {
  const release = [act('release', (s) => s.set('releases', s.releases + 1))];
  it('get and put in two threads: the release function runs once, in the last putter', async () => {
    const user = (i: number): ThreadSpec<S, any> => ({ name: `user${i}`, steps: [krefGet<S>('ref'), ...krefPut<S>('ref', { release, next: 'done' })] });
    const owner: ThreadSpec<S, any> = { name: 'owner', steps: krefPut<S>('ref', { release, next: 'done' }) };
    const m = () =>
      threadModel<S>({
        name: 'kref',
        shared: Shared(),
        threads: [user(0), owner],
        invariants: [{ name: 'released at most once', check: (v) => (v.shared.releases <= 1 ? null : `released ${v.shared.releases} times`) }],
      });
    const r = await verdict(m);
    // user0 may take its reference after the owner dropped the last one: that is the use-after-free refcount_t reports.
    const v = violated(r);
    expect(v.message).toContain('refcount_t: addition on 0; use-after-free (kref_get of ref)');
    expect(v.steps).toEqual(['owner:kref_put', 'user0:kref_get (assertion failed)']);
    // The owner takes the user's reference before handing the object over (as a lookup under a lock would): it holds.
    const ordered = () =>
      threadModel<S>({
        name: 'kref-ordered',
        shared: Shared(),
        threads: [
          { name: 'owner', steps: [krefGet<S>('ref', { label: 'kref_get_for_user' }), act('hand_over', (s) => s.set('cond', 1)), ...krefPut<S>('ref', { release, next: 'done' })] },
          { name: 'user', steps: [{ label: 'receive', when: (c) => c.shared.cond === 1 }, ...krefPut<S>('ref', { release, next: 'done' })] },
        ],
        invariants: [{ name: 'released at most once', check: (v) => (v.shared.releases <= 1 ? null : `released ${v.shared.releases} times`) }],
      });
    expect((await verdict(ordered)).status).toBe('holds');
  });

  it('kref_put twice on one reference: refcount_t underflow, a use-after-free', async () => {
    const v = violated(await verdict(() => model('put-twice', [{ name: 't', steps: [...krefPut<S>('ref', { label: 'put1', release, next: 'put2' }), ...krefPut<S>('ref', { label: 'put2', release, next: 'done' })] }])));
    expect(v.property).toBe(ASSERTIONS);
    expect(v.message).toBe("assertion in t at 'put2': refcount_t: underflow; use-after-free (kref_put of ref)");
    expect(v.steps).toEqual(['t:put1', 't:put1.release', 't:put2 (assertion failed)']);
  });
});

describe('seqcount (include/linux/seqlock.h)', () => {
  const writer: ThreadSpec<S, any> = { name: 'writer', steps: [writeSeqcountBegin<S>('seq'), act('x=1', (s) => s.set('x', 1)), act('y=1', (s) => s.set('y', 1)), writeSeqcountEnd<S>('seq')] };
  const Read = IRecord({ start: 0, x: 0, y: 0 });
  const reader = (retry: boolean): ThreadSpec<S, any> => ({
    name: 'reader',
    locals: Read(),
    steps: [
      readSeqcountBegin<S>('seq', { key: 'start' }),
      { label: 'read_x', do: (c) => ({ local: c.local.set('x', c.shared.x) }) },
      { label: 'read_y', do: (c) => ({ local: c.local.set('y', c.shared.y) }) },
      ...(retry ? [readSeqcountRetry<S>('seq', { key: 'start', retry: 'read_seqcount_begin' })] : []),
      { label: 'use', do: (c) => void assert(c.local.x === c.local.y, `torn read: x=${c.local.x} y=${c.local.y}`) },
    ],
  });
  it('a reader that retries never uses a torn read', async () => {
    expect((await verdict(() => model('seqcount', [writer, reader(true)]))).status).toBe('holds');
  });
  it('a reader that does not retry uses a torn read', async () => {
    const v = violated(await verdict(() => model('seqcount-no-retry', [writer, reader(false)])));
    expect(v.message).toContain('torn read: x=1 y=0');
  });
  it('two writers without a lock of their own are caught at write_seqcount_begin', async () => {
    const w = (i: number): ThreadSpec<S, any> => ({ name: `writer${i}`, steps: [writeSeqcountBegin<S>('seq'), writeSeqcountEnd<S>('seq')] });
    const v = violated(await verdict(() => model('seqcount-two-writers', [w(0), w(1)])));
    expect(v.message).toContain('seqcount writers must be serialised by a lock');
  });
});

describe('SRCU (kernel/rcu/srcutree.c)', () => {
  // The reader looks the object up (cond 1: unpublished) inside its read section and uses it.
  const reader: ThreadSpec<S, any> = {
    name: 'reader',
    steps: [
      srcuReadLock<S>('srcu'),
      { label: 'lookup', goto: (c) => (c.shared.cond === 1 ? 'srcu_read_unlock' : 'use') },
      check('use', (s) => s.alive, 'read section used a freed object'),
      srcuReadUnlock<S>('srcu'),
    ],
  };
  const unpublish = act('unpublish', (s) => s.set('cond', 1));
  it('synchronize_srcu between unpublishing and freeing: no read section sees the object freed', async () => {
    const updater: ThreadSpec<S, any> = { name: 'updater', steps: [unpublish, ...synchronizeSrcu<S>('srcu'), act('kfree', (s) => s.set('alive', false))] };
    expect((await verdict(() => model('srcu', [reader, updater]))).status).toBe('holds');
  });
  it('freeing without synchronize_srcu: a read section uses the freed object', async () => {
    const v = violated(await verdict(() => model('srcu-no-sync', [reader, { name: 'updater', steps: [unpublish, act('kfree', (s) => s.set('alive', false))] }])));
    expect(v.steps).toEqual(['reader:srcu_read_lock', 'reader:lookup', 'updater:unpublish', 'updater:kfree', 'reader:use (assertion failed)']);
  });
  it('synchronize_srcu inside a read section of the same srcu_struct deadlocks', async () => {
    const v = violated(await verdict(() => model('srcu-self', [{ name: 't', steps: [srcuReadLock<S>('srcu'), ...synchronizeSrcu<S>('srcu'), srcuReadUnlock<S>('srcu')] }])));
    expect(v.property).toBe(DEADLOCK);
    expect(v.message).toContain("t at 'synchronize_srcu.scan2'");
  });
});
