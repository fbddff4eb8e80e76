// Completions (kernel/sched/completion.c, include/linux/completion.h, v4.14): a count of
// completions not yet consumed, with complete_all making it "done for everyone".
//
//   init_completion / reinit_completion   x->done = 0
//   complete(x)                           if (x->done != UINT_MAX) x->done++; wakes one waiter
//   complete_all(x)                       x->done = UINT_MAX; wakes every waiter
//   wait_for_completion(x)                might_sleep(); sleeps until x->done, then
//                                         if (x->done != UINT_MAX) x->done-- (do_wait_for_common):
//                                         under a spinlock it is a sleep under a spinlock
// The completion's state is a number in a field the composing model names (0 initially).
import type { Step } from '../../src/model/dsl.ts';
import { fieldOf, withField } from './field.ts';

/** x->done after complete_all (UINT_MAX in the kernel; within the vector engine's integers here). */
export const COMPLETE_ALL = 1 << 27;

/** Options of a completion step. */
export interface CompletionStepOptions {
  /** The step's label (default the kernel function's name); unique within its thread. */
  readonly label?: string;
}

/** completion_done(x): some completion is there to consume (x->done != 0). */
export function completionDone(s: unknown, completion: string): boolean {
  return fieldOf<number>(s, completion) !== 0;
}

/** reinit_completion(&x) (init_completion likewise): x->done = 0. */
export function reinitCompletion<S>(completion: string, o: CompletionStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'reinit_completion',
    kernel: 'reinit_completion',
    note: `${completion}.done = 0`,
    reads: [],
    writes: [completion],
    do: (c) => ({ shared: withField(c.shared, completion, 0) }),
  };
}

/** complete(&x): one more completion (one waiter may go on). Never sleeps. */
export function complete<S>(completion: string, o: CompletionStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'complete',
    kernel: 'complete',
    note: `${completion}.done++ (unless complete_all ran); wakes one waiter`,
    reads: [completion],
    writes: [completion],
    do: (c) => {
      const done = fieldOf<number>(c.shared, completion);
      return done === COMPLETE_ALL ? {} : { shared: withField(c.shared, completion, done + 1) };
    },
  };
}

/** complete_all(&x): every waiter, now and later, goes on until reinit_completion. Never sleeps. */
export function completeAll<S>(completion: string, o: CompletionStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'complete_all',
    kernel: 'complete_all',
    note: `${completion}.done = UINT_MAX; wakes every waiter`,
    reads: [],
    writes: [completion],
    do: (c) => ({ shared: withField(c.shared, completion, COMPLETE_ALL) }),
  };
}

/** wait_for_completion(&x): sleeps until a completion is there, and consumes it (not after complete_all). */
export function waitForCompletion<S>(completion: string, o: CompletionStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'wait_for_completion',
    kernel: 'wait_for_completion',
    note: `might_sleep(); sleep until ${completion}.done, then consume one`,
    maySleep: true,
    reads: [completion],
    writes: [completion],
    when: (c) => completionDone(c.shared, completion),
    do: (c) => {
      const done = fieldOf<number>(c.shared, completion);
      return done === COMPLETE_ALL ? {} : { shared: withField(c.shared, completion, done - 1) };
    },
  };
}
