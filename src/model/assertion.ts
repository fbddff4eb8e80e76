// Assertions inside a thread-DSL step (Promela's `assert`): `assert(cond, message)` in a
// step's guard, choose, effect, goto or lock-name function. A false condition stops the step
// there — nothing it did takes effect — and its thread stops for good at that step (a failed
// BUG_ON); the transition that failed is a violation of the built-in property 'assertions',
// reported with the shortest trace ending in that step, never as a model error.
import { errorText } from './errors.ts';

/** The name of the built-in property a failed `assert` violates. */
export const ASSERTIONS = 'assertions';

/** Thrown by `assert` with a false condition; the DSL catches it where it runs step code. */
export class AssertionFailure extends Error {
  override name = 'AssertionFailure';
  /** Which code of the step failed it: 'guard', 'choose', 'effect', 'goto', 'the lock name function' (set by the DSL). */
  where?: string;
  constructor(readonly assertion: string) {
    super(`assertion failed: ${assertion}`);
  }
}

/**
 * Asserts `condition` in the code of a thread-DSL step. When it is false, the step stops
 * there (nothing it did takes effect), its thread stops at that step for good, and the search
 * reports the property 'assertions' violated — "assertion in fault0 at 'map': <message>" —
 * with the shortest trace ending in that step. Outside step code (an invariant returns its
 * message instead) a failure is an error.
 *
 * @example
 *   do: (c) => {
 *     assert(c.shared.spte === null, 'the secondary PTE is clear before the fault maps it');
 *     return { shared: c.shared.set('spte', c.local) };
 *   },
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(typeof message === 'string' ? message : errorText(message));
}
