// kref (include/linux/kref.h over refcount_t, lib/refcount.c; v4.14): an object's reference
// count, whose last kref_put runs the release function in the putting thread. Touching the
// count once it reached 0 is a use-after-free, which refcount_t reports by its WARNs
// ("refcount_t: underflow; use-after-free.", "refcount_t: addition on 0; use-after-free.");
// here each is a failed assertion (the property 'assertions') with the shortest trace.
//
//   kref_init(k)                 refcount_set(&k->refcount, 1)
//   kref_get(k)                  refcount_inc: on 0 → "addition on 0; use-after-free"
//   kref_get_unless_zero(k)      refcount_inc_not_zero: returns 0 (takes nothing) once it is 0
//   kref_put(k, release)         refcount_dec_and_test: 0 → release(k), in this thread; on 0
//                                already → "underflow; use-after-free"
// The count is a number in a field the composing model names (1 for an object made with
// kref_init; 0 means freed).
import { assert } from '../../src/model/assertion.ts';
import type { Step } from '../../src/model/dsl.ts';
import { embed } from './embed.ts';
import { fieldOf, withField } from './field.ts';

/** Options of a kref step. */
export interface KrefStepOptions {
  /** The step's label (default the kernel function's name); unique within its thread. */
  readonly label?: string;
}

/** Whether the object is still alive (its count above 0), for a composing model's own asserts. */
export function krefAlive(s: unknown, kref: string): boolean {
  return fieldOf<number>(s, kref) > 0;
}

/** kref_get(&k): one more reference; on a freed object (count 0) a use-after-free. */
export function krefGet<S>(kref: string, o: KrefStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'kref_get',
    kernel: 'kref_get',
    note: `refcount_inc(&${kref})`,
    reads: [kref],
    writes: [kref],
    do: (c) => {
      const n = fieldOf<number>(c.shared, kref);
      assert(n > 0, `refcount_t: addition on 0; use-after-free (kref_get of ${kref})`);
      return { shared: withField(c.shared, kref, n + 1) };
    },
  };
}

/** kref_get_unless_zero(&k): one more reference unless the object is being freed; then goes to `zero`. */
export function krefGetUnlessZero<S>(kref: string, o: KrefStepOptions & { readonly zero: string }): Step<S, any> {
  return {
    label: o.label ?? 'kref_get_unless_zero',
    kernel: 'kref_get_unless_zero',
    note: `refcount_inc_not_zero(&${kref}): 0 → returns 0, takes nothing`,
    reads: [kref],
    writes: [kref],
    targets: [o.zero],
    do: (c) => {
      const n = fieldOf<number>(c.shared, kref);
      return n === 0 ? { goto: o.zero } : { shared: withField(c.shared, kref, n + 1) };
    },
  };
}

/** Options of kref_put. */
export interface KrefPutOptions<S> extends KrefStepOptions {
  /** The release function's steps, run in this thread when the count reaches 0 (labels prefixed `label.`). */
  readonly release?: readonly Step<S, any>[];
  /** Where the thread goes on after kref_put (and after the release function): a label of the thread, or 'done'. */
  readonly next: string;
  /** The release function's name, for traces. */
  readonly func?: string;
}

/**
 * kref_put(&k, release): one reference less; the last one runs `release` here, then goes on
 * at `next`. A put on a freed object (count 0) is a use-after-free.
 *
 * @example
 *   ...krefPut<S>('objRef', { release: [freeObject], next: 'done', func: 'i915_gem_free_object' })
 */
export function krefPut<S>(kref: string, o: KrefPutOptions<S>): Step<S, any>[] {
  const label = o.label ?? 'kref_put';
  const release = embed<S, any>(o.release ?? [], `${label}.`, o.next);
  return [
    {
      label,
      kernel: 'kref_put',
      note: `refcount_dec_and_test(&${kref}); the last reference calls ${o.func ?? 'release'}()`,
      reads: [kref],
      writes: [kref],
      targets: [o.next],
      do: (c) => {
        const n = fieldOf<number>(c.shared, kref);
        assert(n > 0, `refcount_t: underflow; use-after-free (kref_put of ${kref})`);
        const shared = withField(c.shared, kref, n - 1);
        return n === 1 && release.length > 0 ? { shared } : { shared, goto: o.next };
      },
    },
    ...release,
  ];
}

