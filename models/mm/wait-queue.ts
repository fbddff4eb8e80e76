// Wait queues (include/linux/wait.h wait_event/___wait_event, kernel/sched/wait.c
// prepare_to_wait_event, finish_wait, __wake_up; v4.14): a waiter puts itself on the queue
// BEFORE it tests the condition, so a wake_up between the test and the sleep is not lost; it
// tests again after every wake-up (the wake-up may be for another condition, or spurious).
//
//   wait_event(wq, cond)   might_sleep(); loop { prepare_to_wait_event (on the queue,
//                          TASK_UNINTERRUPTIBLE); if (cond) break; schedule(); } finish_wait
//   wake_up(&wq)           __wake_up: every waiter on the queue is woken (and must re-test);
//                          a condition made true WITHOUT wake_up leaves a sleeper asleep forever
// The queue's state is a bit mask of the sleeping threads (bit tid), in a field the composing
// model names (0 initially).
// FIXME: exclusive waiters (wait_event_exclusive, wake_up's nr_exclusive) are not modelled:
// wake_up wakes every waiter. The waiter's bit is its thread index, so threads using a wait
// queue cannot be a symmetry group.
import type { Step, StepContext } from '../../src/model/dsl.ts';
import { fieldOf, withField } from './field.ts';

/** Options of wait_event. */
export interface WaitEventOptions<S> {
  /** Prefix of the three labels (default 'wait_event'): `p`, `p.schedule`, `p.finish_wait`. */
  readonly label?: string;
  /** The condition, as the C expression reads, for traces (e.g. 'obj->done'). */
  readonly what?: string;
  /** Shared fields the condition reads (partial-order reduction); default: everything. */
  readonly reads?: readonly string[];
}

/**
 * wait_event(wq, condition), three steps: on the queue and test (may sleep: might_sleep());
 * sleep until woken, then test again; finish_wait once the condition held.
 *
 * @example
 *   ...waitEvent<S>('doneWq', (c) => c.shared.done, { what: 'obj->done', reads: ['done'] })
 */
export function waitEvent<S>(wq: string, condition: (c: StepContext<S, any>) => boolean, o: WaitEventOptions<S> = {}): Step<S, any>[] {
  const label = o.label ?? 'wait_event';
  const what = o.what ?? 'condition';
  const reads = o.reads ? [wq, ...o.reads] : undefined;
  const bitOf = (c: StepContext<S, any>) => 1 << c.tid;
  return [
    {
      label,
      kernel: 'wait_event',
      note: `might_sleep(); prepare_to_wait_event(${wq}); if (${what}) break`,
      maySleep: true,
      ...(reads ? { reads, writes: [wq] } : {}),
      targets: [`${label}.finish_wait`],
      do: (c) => {
        const queued = withField(c.shared, wq, fieldOf<number>(c.shared, wq) | bitOf(c));
        return condition(c) ? { shared: queued, goto: `${label}.finish_wait` } : { shared: queued };
      },
    },
    {
      label: `${label}.schedule`,
      kernel: 'schedule',
      note: `asleep on ${wq} until wake_up(${wq}); then test ${what} again`,
      maySleep: true,
      reads: [wq],
      writes: [],
      when: (c) => (fieldOf<number>(c.shared, wq) & bitOf(c)) === 0,
      goto: label,
    },
    {
      label: `${label}.finish_wait`,
      kernel: 'finish_wait',
      note: `${what} held: off ${wq}, TASK_RUNNING`,
      reads: [wq],
      writes: [wq],
      do: (c) => ({ shared: withField(c.shared, wq, fieldOf<number>(c.shared, wq) & ~bitOf(c)) }),
    },
  ];
}

/** wake_up(&wq): every sleeper on the queue wakes and tests its condition again. Never sleeps. */
export function wakeUp<S>(wq: string, o: { readonly label?: string } = {}): Step<S, any> {
  return {
    label: o.label ?? 'wake_up',
    kernel: 'wake_up',
    note: `__wake_up(${wq}): every waiter runs again`,
    reads: [],
    writes: [wq],
    do: (c) => ({ shared: withField(c.shared, wq, 0) }),
  };
}

/** Whether thread `tid` sleeps on the queue (for invariants). */
export function sleepsOn(s: unknown, wq: string, tid: number): boolean {
  return (fieldOf<number>(s, wq) & (1 << tid)) !== 0;
}
