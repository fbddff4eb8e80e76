// Peterson's mutual exclusion for two threads (1981), with two broken variants, as a classic
// cross-check of the thread DSL: guards, shared writes, invariants and deadlock detection.
//
// Thread i (j = 1 - i), looping forever:
//   flag:   flag[i] = true
//   turn:   turn = j
//   wait:   await !flag[j] || turn == i
//   cs:     critical section; leave it
//   unflag: flag[i] = false; goto flag
// Variants:
//   'peterson' — as above: mutual exclusion and deadlock freedom hold.
//   'swapped'  — `turn = j` before `flag[i] = true`: mutual exclusion is violated. Thread 0
//                writes turn=1, thread 1 writes turn=0, sets its flag and enters (thread 0's
//                flag is still false); thread 0 then sets its flag and enters too (turn == 0).
//   'no-turn'  — no turn variable, `await !flag[j]` only: mutually exclusive, but both
//                threads can set their flags and wait for each other forever (deadlock).
// Liveness: the loop's head is a valid end point (the non-critical section, where a thread
// may stay forever), so 'progress' asks each thread to come back to it infinitely often or
// rest there. 'a waiting thread enters' (wait ~> cs) holds under any scheduler: once t_i
// waits, its rival can enter at most once more — coming round, it writes turn = i and then
// stays blocked at 'wait' — so t_i is the only thread left to move (bounded bypass). And
// 'starvation freedom' (each thread enters its critical section infinitely often) holds
// under weak fairness — a thread at 'flag' can always move, so it must — and fails without
// fairness: the scheduler may keep t0 in its non-critical section while t1 loops.
import { List, Record, type RecordOf } from 'immutable';
import { defineModel, oneOf, threadModel, type StateView, type Step } from '../../src/index.ts';

interface PetersonFields {
  /** flag[i]: thread i wants to enter. */
  readonly flag: List<boolean>;
  /** Whose turn it is to wait for: the thread that wrote turn last yields. */
  readonly turn: number;
}
/** Shared variables of Peterson's algorithm. */
export type PetersonShared = RecordOf<PetersonFields>;
const PetersonShared = Record<PetersonFields>({ flag: List([false, false]), turn: 0 }, 'Peterson');

/** Which version of the entry protocol the threads run. */
export type PetersonVariant = 'peterson' | 'swapped' | 'no-turn';
/** Variants, in the order `mmcheck list` shows them. */
export const PETERSON_VARIANTS = ['peterson', 'swapped', 'no-turn'] as const;

/** The name of the mutual exclusion invariant. */
export const MUTUAL_EXCLUSION = 'mutual exclusion';
/** Each thread enters its critical section infinitely often. */
export const STARVATION_FREEDOM = 'starvation freedom';
/** A thread waiting at 'wait' eventually enters its critical section. */
export const WAITING_ENTERS = 'a waiting thread enters';

/** The program of thread `i` under `variant`. */
export function petersonSteps(i: number, variant: PetersonVariant): Step<PetersonShared, null>[] {
  const j = 1 - i;
  const setFlag: Step<PetersonShared, null> = {
    label: 'flag',
    note: `flag[${i}] = true`,
    do: ({ shared }) => ({ shared: shared.set('flag', shared.flag.set(i, true)) }),
  };
  const setTurn: Step<PetersonShared, null> = {
    label: 'turn',
    note: `turn = ${j}`,
    do: ({ shared }) => ({ shared: shared.set('turn', j) }),
  };
  const wait: Step<PetersonShared, null> =
    variant === 'no-turn'
      ? { label: 'wait', note: `await !flag[${j}]`, when: ({ shared }) => !shared.flag.get(j) }
      : { label: 'wait', note: `await !flag[${j}] || turn == ${i}`, when: ({ shared }) => !shared.flag.get(j) || shared.turn === i };
  const ordered = variant === 'peterson' ? [setFlag, setTurn] : variant === 'swapped' ? [setTurn, setFlag] : [setFlag];
  // The loop's head is the non-critical section: a thread may rest there.
  const entry = [{ ...ordered[0], end: true }, ...ordered.slice(1)];
  return [
    ...entry,
    wait,
    { label: 'cs', note: 'in the critical section; leave it' },
    {
      label: 'unflag',
      note: `flag[${i}] = false`,
      do: ({ shared }) => ({ shared: shared.set('flag', shared.flag.set(i, false)) }),
      goto: entry[0].label,
    },
  ];
}

export default defineModel({
  name: 'peterson',
  summary: "Peterson's mutual exclusion for 2 threads (classic): holds; variants break it",
  description: `
Two threads loop forever: flag[i] = true; turn = j; await !flag[j] || turn == i; critical
section; flag[i] = false. A thread is in its critical section while it is at step 'cs'.
variant=swapped writes turn before flag and loses mutual exclusion (shortest trace: 6 steps);
variant=no-turn drops turn and deadlocks when both flags are up (2 steps).`,
  params: {
    variant: oneOf(PETERSON_VARIANTS, 'peterson', "'peterson' (correct), 'swapped' (turn before flag), 'no-turn' (flags only)"),
  },
  expect: { [MUTUAL_EXCLUSION]: 'holds', 'deadlock freedom': 'holds', progress: 'holds', [STARVATION_FREEDOM]: 'holds', [WAITING_ENTERS]: 'holds' },
  build: ({ variant }) =>
    threadModel<PetersonShared>({
      name: variant === 'peterson' ? 'peterson' : `peterson(${variant})`,
      shared: PetersonShared(),
      threads: [0, 1].map((i) => ({ name: `t${i}`, locals: null, steps: petersonSteps(i, variant as PetersonVariant) })),
      invariants: [
        {
          name: MUTUAL_EXCLUSION,
          check: (v) => (v.at(0) === 'cs' && v.at(1) === 'cs' ? 't0 and t1 are both in the critical section' : null),
        },
      ],
      liveness: [
        { name: STARVATION_FREEDOM, all: [0, 1].map((i) => ({ what: `t${i} enters its critical section`, alwaysEventually: (v: StateView<PetersonShared>) => v.at(i) === 'cs' })) },
        {
          name: WAITING_ENTERS,
          all: [0, 1].map((i) => ({ what: `t${i}, waiting at 'wait', enters its critical section`, leadsTo: [(v: StateView<PetersonShared>) => v.at(i) === 'wait', (v: StateView<PetersonShared>) => v.at(i) === 'cs'] as const })),
        },
      ],
      sleepCheck: false,
    }),
});
