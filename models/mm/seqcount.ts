// seqcount (include/linux/seqlock.h, v4.14): a writer makes the sequence odd while it
// changes the data and even again after; a reader notes an even sequence before reading and
// retries when the sequence moved meanwhile. Writers must be serialised by a lock of their
// own (the seqcount does not exclude them); a reader that does not retry can use a torn read.
//
//   write_seqcount_begin(s)          s->sequence++; smp_wmb()       (odd: a write is inside)
//   write_seqcount_end(s)            smp_wmb(); s->sequence++       (even again)
//   read_seqcount_begin(s)           spins (cpu_relax, never sleeps) while the sequence is odd;
//                                    returns it
//   read_seqcount_retry(s, start)    smp_rmb(); the sequence != start: read again
// The sequence is a number in a field the composing model names (0 initially); the reader's
// `start` is kept in its locals (the whole local, or field `key` of a Record local).
import { assert } from '../../src/model/assertion.ts';
import type { Step, StepContext } from '../../src/model/dsl.ts';
import { fieldOf, withField } from './field.ts';

/** Options of a seqcount step. */
export interface SeqcountStepOptions {
  /** The step's label (default the kernel function's name); unique within its thread. */
  readonly label?: string;
}

/** Where a reader keeps `start`: the whole local (a number), or field `key` of its Record local. */
export interface SeqcountReaderOptions extends SeqcountStepOptions {
  readonly key?: string;
}

function started(c: StepContext<any, any>, key: string | undefined): number {
  return key === undefined ? c.local : c.local.get(key);
}

/** write_seqcount_begin(&s): the sequence becomes odd. Two writers inside at once fail an assertion (writers need their own lock). */
export function writeSeqcountBegin<S>(seq: string, o: SeqcountStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'write_seqcount_begin',
    kernel: 'write_seqcount_begin',
    note: `${seq}.sequence++ (odd); smp_wmb()`,
    reads: [seq],
    writes: [seq],
    do: (c) => {
      const n = fieldOf<number>(c.shared, seq);
      assert(n % 2 === 0, `write_seqcount_begin(${seq}) while another writer is inside: seqcount writers must be serialised by a lock`);
      return { shared: withField(c.shared, seq, n + 1) };
    },
  };
}

/** write_seqcount_end(&s): the sequence becomes even again. */
export function writeSeqcountEnd<S>(seq: string, o: SeqcountStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'write_seqcount_end',
    kernel: 'write_seqcount_end',
    note: `smp_wmb(); ${seq}.sequence++ (even)`,
    reads: [seq],
    writes: [seq],
    do: (c) => ({ shared: withField(c.shared, seq, fieldOf<number>(c.shared, seq) + 1) }),
  };
}

/** read_seqcount_begin(&s): waits (spinning) for an even sequence and keeps it as `start` in the locals. */
export function readSeqcountBegin<S>(seq: string, o: SeqcountReaderOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'read_seqcount_begin',
    kernel: 'read_seqcount_begin',
    note: `start = ${seq}.sequence, once even (cpu_relax while a write is inside); smp_rmb()`,
    reads: [seq],
    writes: [],
    when: (c) => fieldOf<number>(c.shared, seq) % 2 === 0,
    do: (c) => {
      const n = fieldOf<number>(c.shared, seq);
      return { local: o.key === undefined ? n : c.local.set(o.key, n) };
    },
  };
}

/** read_seqcount_retry(&s, start): the sequence moved since read_seqcount_begin → go to `retry` (read again); else on. */
export function readSeqcountRetry<S>(seq: string, o: SeqcountReaderOptions & { readonly retry: string }): Step<S, any> {
  return {
    label: o.label ?? 'read_seqcount_retry',
    kernel: 'read_seqcount_retry',
    note: `smp_rmb(); ${seq}.sequence != start → read again`,
    reads: [seq],
    writes: [],
    targets: [o.retry],
    do: (c) => (fieldOf<number>(c.shared, seq) !== started(c, o.key) ? { goto: o.retry } : {}),
  };
}
