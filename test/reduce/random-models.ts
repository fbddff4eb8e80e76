// Random small thread-DSL models for the reduction soundness test: shared variables, locks,
// guards, choices, loops, sleeping steps, read-modify-write updates, a sticky flag,
// invariants and groups of identical threads. Every step's `reads`/`writes`/`updates`/
// `targets` and every invariant's `reads` is correct by construction — code touches exactly
// what it declares — unless `wrong` is asked for: then some declarations are deliberately
// wrong (a read or a write left out, a write declared as an update, an invariant's read or
// a jump target left out), as a hurried user would write them; or `undeclared`: then some
// steps and invariants declare nothing, and partial-order reduction infers their footprints;
// or `asserts`: then some effects and guards `assert` a condition over what they read;
// or `branches`: then some steps are two branches, each with its own guard, effect and lock
// taken and released in the branch (a Promela `if` whose options lock differently).
import { List } from 'immutable';
import { DONE, threadModel, type InvariantSpec, type LockKind, type Step, type ThreadSpec } from '../../src/model/dsl.ts';
import { assert } from '../../src/model/assertion.ts';
import type { Model } from '../../src/model/model.ts';

type Shared = List<number>;
const MOD = 3;

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n) from `rnd`. */
const int2 = (rnd: () => number, n: number) => Math.floor(rnd() * n);

/** The footprint key of shared variable x: element x of the shared List. */
const key = (x: number) => `[${x}]`;

/** Options of a random model. */
export interface RandomModelOptions {
  /** Make some declarations wrong (see the file header); default false. */
  readonly wrong?: boolean;
  /** The share of steps and invariants whose footprint declarations are left out; default 0. */
  readonly undeclared?: number;
  /** Some effects and guards assert a condition over what they read (the property 'assertions'); default false. */
  readonly asserts?: boolean;
  /** Some steps have two branches with their own guards, effects and locks; default false. */
  readonly branches?: boolean;
}

/** One random model, the same for the same seed (and options). */
export function randomModel(seed: number, options: RandomModelOptions = {}): Model<any, number> {
  const rnd = prng(seed);
  // Mistakes come from their own generator, so the model itself is the same either way.
  const mistakes = prng(seed ^ 0x5eed);
  const wrong = options.wrong ?? false;
  // Assertions come from their own generator too: without them the model is the same.
  const asserting = options.asserts ?? false;
  const asserts = prng(seed ^ 0xa55e);
  // Branches likewise.
  const branching = options.branches ?? false;
  const branchy = prng(seed ^ 0xb4a7);
  /** `keys` with one left out, sometimes (only when asked for wrong declarations). */
  const dropOne = (keys: string[], p: number): string[] => {
    if (!wrong || keys.length === 0 || mistakes() >= p) return keys;
    const i = Math.floor(mistakes() * keys.length);
    return keys.filter((_, j) => j !== i);
  };
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const subset = (n: number, p: number) => Array.from({ length: n }, (_, i) => i).filter(() => rnd() < p);

  const vars = 2 + int(3);
  // One more variable, the sticky flag x[F]: steps only ever set it to 1.
  const F = vars;
  const lockNames = Array.from({ length: int(3) }, (_, i) => `l${i}`);
  const locks: Record<string, LockKind> = Object.fromEntries(lockNames.map((l) => [l, pick(['spinlock', 'mutex'] as const)]));

  const program = (): Step<Shared, number, number>[] => {
    const n = 2 + int(3);
    const steps: Step<Shared, number, number>[] = [];
    // At most one critical section per program: acquire at step a, release at step b >= a.
    const lock = lockNames.length && rnd() < 0.7 ? pick(lockNames) : undefined;
    const a = int(n);
    const b = a + int(n - a);
    for (let i = 0; i < n; i++) {
      const label = `s${i}`;
      const base: { label: string; acquire?: string; release?: string; maySleep?: boolean } = { label };
      if (lock && i === a) base.acquire = lock;
      if (lock && i === b) base.release = lock;
      if (rnd() < 0.15) base.maySleep = true;
      const kind = int(6);
      const last = i === n - 1;
      // The last step may loop back to s0, by a goto reading only the thread's local.
      const loop = last && rnd() < 0.3;
      const loopGoto = loop ? { goto: (c: { local: number }) => (c.local % 2 === 0 ? DONE : 's0'), targets: dropOne([DONE, 's0'], 0.3) } : {};
      if (kind === 0) {
        // No code at all: a bare lock operation or a no-op (footprint derived: nothing shared).
        steps.push({ ...base, ...(loop ? { ...loopGoto, reads: [], writes: [] } : {}) });
      } else if (kind === 1) {
        // Thread-local work only.
        steps.push({ ...base, reads: [], writes: [], do: ({ local }) => ({ local: (local + 1) % 2 }), ...loopGoto });
      } else {
        const R = subset(vars, 0.4);
        const W = subset(vars, 0.35).filter((x) => !R.includes(x) || rnd() < 0.5);
        // Read-modify-write updates x += k (mod 3) on variables the step neither reads nor writes.
        const U = kind === 5 ? subset(vars, 0.5).filter((x) => !R.includes(x) && !W.includes(x)) : [];
        const setsFlag = rnd() < 0.15;
        const c = int(MOD);
        const guardVar = R.length && rnd() < 0.35 ? pick(R) : -1;
        const guardVal = int(MOD);
        const chooses = rnd() < 0.25;
        const toLocal = rnd() < 0.3;
        // A write declared as a (commutative) update: x := v does not commute with x += k.
        const asUpdate = wrong && W.length > 0 && mistakes() < 0.15;
        const writes = [...W.map(key), ...(setsFlag ? [key(F)] : [])];
        if (branching && branchy() < 0.4) {
          // Two branches: 'lo' guarded by x_g < v, 'hi' by x_g >= v; each may take and release a
          // lock of its own (not the program's critical-section lock) and may sleep; each writes
          // its own variable from what the step reads.
          const g = int2(branchy, vars);
          const v = 1 + int2(branchy, MOD - 1);
          const others = lockNames.filter((l) => l !== lock);
          const lockOf = () => (others.length > 0 && branchy() < 0.7 ? others[int2(branchy, others.length)] : undefined);
          const branch = (name: string, w: number, k: number, guard: (x: number) => boolean) => {
            const l = lockOf();
            return {
              name,
              when: ({ shared }: { shared: Shared }) => guard(shared.get(g)!),
              ...(l ? { acquire: l, release: l } : {}),
              ...(branchy() < 0.2 ? { maySleep: true } : {}),
              do: ({ shared }: { shared: Shared }) => {
                let sum = k;
                for (const r of R) sum += shared.get(r)!;
                return { shared: shared.set(w, sum % MOD) };
              },
            };
          };
          const w1 = int2(branchy, vars);
          const w2 = int2(branchy, vars);
          steps.push({
            ...base,
            reads: dropOne([...new Set([...R, g])].map(key), 0.5),
            writes: dropOne([...new Set([w1, w2])].map(key), 0.5),
            branches: [branch('lo', w1, c, (x) => x < v), branch('hi', w2, c + 1, (x) => x >= v)],
            ...loopGoto,
          });
          continue;
        }
        // An effect asserting its sum is not `bad`; a guard asserting its variable is not `badGuard`.
        const bad = asserting && asserts() < 0.3 ? int2(asserts, MOD) : -1;
        const badGuard = asserting && guardVar >= 0 && asserts() < 0.3 ? int2(asserts, MOD) : -1;
        steps.push({
          ...base,
          reads: dropOne(R.map(key), 0.5),
          ...(asUpdate ? { writes: [], updates: [...writes, ...U.map(key)] } : { writes: dropOne(writes, 0.5), ...(U.length ? { updates: dropOne(U.map(key), 0.2) } : {}) }),
          ...(guardVar >= 0
            ? {
                when: ({ shared }: { shared: Shared }) => {
                  if (badGuard >= 0) assert(shared.get(guardVar) !== badGuard, `x${guardVar} is ${badGuard}`);
                  return shared.get(guardVar) !== guardVal;
                },
              }
            : {}),
          ...(chooses ? { choose: ({ shared }: { shared: Shared }) => (R.length && shared.get(R[0])! > 0 ? [0, 1] : [0]) } : {}),
          do: ({ shared, local }, choice) => {
            let sum = c + (choice ?? 0);
            for (const r of R) sum += shared.get(r)!;
            if (bad >= 0) assert(sum % MOD !== bad, `the sum is ${bad} (mod ${MOD})`);
            let s = shared;
            for (const w of W) s = s.set(w, sum % MOD);
            for (const u of U) s = s.set(u, (s.get(u)! + c + 1) % MOD);
            if (setsFlag && sum % 2 === 0) s = s.set(F, 1);
            return { shared: s, local: toLocal ? sum % 2 : local };
          },
          ...loopGoto,
        });
      }
    }
    return steps;
  };

  const threads: ThreadSpec<Shared, number>[] = [];
  const plain = 1 + int(2);
  for (let t = 0; t < plain; t++) threads.push({ name: `t${t}`, locals: 0, steps: program(), daemon: rnd() < 0.1 });
  if (rnd() < 0.6) {
    const shared = program();
    const size = 2 + int(2);
    for (let k = 0; k < size; k++) threads.push({ name: `g${k}`, locals: 0, steps: shared, group: 'g' });
  } else threads.push({ name: `t${plain}`, locals: 0, steps: program() });
  if (rnd() < 0.2) {
    // A daemon spinning on thread-local work forever: independent and invisible, the case
    // where a reduction without the cycle proviso would ignore every other thread.
    threads.push({
      name: 'spinner',
      locals: 0,
      daemon: true,
      steps: [
        { label: 'spin', reads: [], writes: [], do: ({ local }) => ({ local: (local + 1) % 2 }) },
        { label: 'again', goto: 'spin' },
      ],
    });
  }

  const invariants: InvariantSpec<Shared>[] = [];
  const nInv = 1 + int(2);
  for (let i = 0; i < nInv; i++) {
    const x = int(vars);
    const y = int(vars);
    const vx = int(MOD);
    const vy = int(MOD);
    invariants.push({
      name: `inv${i}`,
      reads: dropOne([key(x), key(y)], 0.2),
      check: ({ shared }) => (shared.get(x) === vx && shared.get(y) === vy ? `x${x}=${vx} and x${y}=${vy}` : null),
    });
  }
  if (rnd() < 0.5) {
    // Once set the flag stays set: no step can repair this violation.
    invariants.push({ name: 'flag clear', reads: dropOne([key(F)], 0.2), check: ({ shared }) => (shared.get(F) === 1 ? 'flag set' : null) });
  }
  if (rnd() < 0.4) {
    const x = int(vars);
    const vx = int(MOD);
    invariants.push({
      name: 'flag and x',
      reads: dropOne([key(F), key(x)], 0.2),
      check: ({ shared }) => (shared.get(F) === 1 && shared.get(x) === vx ? `flag set and x${x}=${vx}` : null),
    });
  }
  if (rnd() < 0.15) {
    // An invariant over program counters, declaring no reads: every step is visible to it.
    invariants.push({ name: 'not all at s1', check: (v) => (v.threadNames.every((n) => v.at(n) === 's1') ? 'all at s1' : null) });
  }

  // Declarations left out: each distinct step (a group shares its steps) and invariant alike.
  const strip = prng(seed ^ 0xdec1);
  const share = options.undeclared ?? 0;
  const stripped = new Map<Step<Shared, number, number>, Step<Shared, number, number>>();
  const bare = (st: Step<Shared, number, number>): Step<Shared, number, number> => {
    let out = stripped.get(st);
    if (out === undefined) {
      out = strip() < share ? { ...st, reads: undefined, writes: undefined, updates: undefined } : st;
      stripped.set(st, out);
    }
    return out;
  };
  const programs = new Map<readonly Step<Shared, number, number>[], Step<Shared, number, number>[]>();
  const undeclaredProgram = (steps: readonly Step<Shared, number, number>[]) => {
    let out = programs.get(steps);
    if (out === undefined) programs.set(steps, (out = steps.map(bare)));
    return out;
  };

  return threadModel<Shared>({
    name: `random-${seed}`,
    shared: List([...Array.from({ length: vars }, () => int(MOD)), 0]),
    locks,
    threads: share === 0 ? threads : threads.map((t) => ({ ...t, steps: undeclaredProgram(t.steps) })),
    invariants: share === 0 ? invariants : invariants.map((i) => (strip() < share ? { ...i, reads: undefined } : i)),
  });
}
