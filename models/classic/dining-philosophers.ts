// Dining philosophers (Dijkstra 1965/Hoare 1985) with forks as mutexes: the textbook lock-order
// deadlock, and lock ordering as its cure, to cross-check the DSL's locks and deadlock search.
//
// N philosophers sit round a table with one fork between neighbours: philosopher i's left
// fork is fork i, its right fork is fork (i+1) mod N. Each loops forever:
//   first:  mutex_lock(first fork)
//   second: mutex_lock(second fork)
//   eat:    eat; mutex_unlock both forks; goto first
// Variants:
//   'left-first' — everyone takes the left fork first. When all N hold their left fork,
//                  each waits for its right neighbour's: deadlock after exactly N steps.
//   'ordered'    — forks are taken in increasing number (a global lock order): the last
//                  philosopher takes its right fork (fork 0) first, so a cycle of waiters
//                  cannot form and the table never deadlocks.
// Liveness: a philosopher about to take its first fork is thinking, a valid end point (it may
// think forever); 'starvation freedom' asks that every philosopher eats infinitely often.
// The ordered table is free of starvation under strong fairness only: a philosopher waiting
// for a fork its neighbour keeps taking and putting back is enabled only while the fork is
// free, so weak fairness lets the neighbour win every time (docs/liveness.md).
import { defineModel, int, oneOf, threadModel, type StateView, type Step } from '../../src/index.ts';

/** Which lock order the philosophers follow. */
export type DiningVariant = 'left-first' | 'ordered';
/** Variants, the deadlocking one first. */
export const DINING_VARIANTS = ['left-first', 'ordered'] as const;

/** The invariant that no two neighbours eat at once (they share a fork). */
export const NEIGHBOURS_NOT_EATING = 'neighbours never eat together';
/** The liveness property that every philosopher eats infinitely often. */
export const STARVATION_FREEDOM = 'starvation freedom';

/** Name of fork `f`'s mutex. */
export function fork(f: number): string {
  return `fork[${f}]`;
}

/** The forks philosopher `i` of `n` takes, in the order it takes them. */
export function forkOrder(i: number, n: number, variant: DiningVariant): readonly [number, number] {
  const left = i;
  const right = (i + 1) % n;
  return variant === 'ordered' && right < left ? [right, left] : [left, right];
}

/** Philosopher `i`'s program. */
export function philosopherSteps(i: number, n: number, variant: DiningVariant): Step<null, null>[] {
  const [first, second] = forkOrder(i, n, variant);
  return [
    { label: 'first', note: `thinking; mutex_lock(${fork(first)})`, acquire: fork(first), end: true },
    { label: 'second', note: `mutex_lock(${fork(second)})`, acquire: fork(second) },
    { label: 'eat', note: `eat; mutex_unlock(${fork(second)}); mutex_unlock(${fork(first)})`, release: [fork(second), fork(first)], goto: 'first' },
  ];
}

export default defineModel({
  name: 'dining-philosophers',
  summary: 'Dining philosophers, forks as mutexes (classic): left-first deadlocks in N steps; ordered holds',
  description: `
N philosophers loop: lock the first fork, lock the second, eat, unlock both. With
variant=left-first every philosopher takes its left fork first and all N can hold one fork
each while waiting for the next: a deadlock after N steps. With variant=ordered forks are
taken in increasing number (the last philosopher takes fork 0 first), which breaks the cycle.`,
  params: {
    philosophers: int(3, 'philosophers (and forks) round the table', { min: 2, max: 12 }),
    variant: oneOf(DINING_VARIANTS, 'left-first', "'left-first' (deadlocks) or 'ordered' (lowest-numbered fork first)"),
  },
  expect: { [NEIGHBOURS_NOT_EATING]: 'holds', 'deadlock freedom': 'violated', progress: 'violated', [STARVATION_FREEDOM]: 'violated' },
  build: ({ philosophers: n, variant }) =>
    threadModel<null>({
      name: `dining-philosophers(${n}, ${variant})`,
      shared: null,
      locks: Object.fromEntries(Array.from({ length: n }, (_, f) => [fork(f), 'mutex' as const])),
      threads: Array.from({ length: n }, (_, i) => ({ name: `phil${i}`, locals: null, steps: philosopherSteps(i, n, variant as DiningVariant) })),
      liveness: [{ name: STARVATION_FREEDOM, all: Array.from({ length: n }, (_, i) => ({ what: `phil${i} eats`, alwaysEventually: (v: StateView<null>) => v.at(i) === 'eat' })) }],
      invariants: [
        {
          name: NEIGHBOURS_NOT_EATING,
          check: (v) => {
            for (let i = 0; i < n; i++) {
              const j = (i + 1) % n;
              if (v.at(i) === 'eat' && v.at(j) === 'eat') return `neighbours phil${i} and phil${j} both eat (they share ${fork(j)})`;
            }
            return null;
          },
        },
      ],
      // No spinlocks here: the sleep check could never fire.
      sleepCheck: false,
    }),
});
