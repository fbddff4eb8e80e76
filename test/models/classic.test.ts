// Classic textbook models cross-check the engine: every state count, transition count, depth
// and shortest trace below comes from a published figure (TLC, Stateright, Lamport's spec), a
// hand derivation, or a tiny independent enumerator written here over plain tuples and strings
// (it shares no code with the engine: no Immutable, no fingerprints, no DSL).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASSERTIONS, bfs, buildModel, check, DEADLOCK, PROGRESS, type CheckResult, type Model } from '../../src/index.ts';
import peterson, { MUTUAL_EXCLUSION, STARVATION_FREEDOM as PETERSON_STARVATION, WAITING_ENTERS } from '../../models/classic/peterson.ts';
import dining, { NEIGHBOURS_NOT_EATING, STARVATION_FREEDOM } from '../../models/classic/dining-philosophers.ts';
import twoPhase, { TC_CONSISTENT, TP_TYPE_OK } from '../../models/classic/two-phase-commit.ts';
import { classicCatalog } from '../../models/classic/catalog.ts';

/** The whole reachable graph: the model with its properties removed, so nothing stops the search. */
async function fullGraph(model: Model<any, any>): Promise<CheckResult> {
  return bfs({ ...model, properties: [] });
}

/** Figures of an independent enumeration: BFS over string keys. */
interface Enumerated {
  states: number;
  transitions: number;
  depth: number;
  /** BFS distance of the first state satisfying `bad` (or of a deadlock), if any. */
  firstBad: number | null;
}

/** Breadth-first enumeration over plain values, keyed by `key`; shares nothing with the engine. */
function enumerate<T>(init: T, succ: (s: T) => T[], key: (s: T) => string, bad: (s: T, succs: T[]) => boolean): Enumerated {
  const seen = new Set([key(init)]);
  let level = [init];
  let transitions = 0;
  let depth = 0;
  let firstBad: number | null = null;
  for (let d = 0; level.length > 0; d++) {
    const nextLevel: T[] = [];
    for (const s of level) {
      const ss = succ(s);
      if (firstBad === null && bad(s, ss)) firstBad = d;
      transitions += ss.length;
      for (const t of ss) {
        const k = key(t);
        if (!seen.has(k)) {
          seen.add(k);
          nextLevel.push(t);
        }
      }
    }
    if (nextLevel.length > 0) depth = d + 1;
    level = nextLevel;
  }
  return { states: seen.size, transitions, depth, firstBad };
}

function stats(r: CheckResult) {
  return { states: r.stats.distinctStates, transitions: r.stats.transitions, depth: r.stats.depth };
}

function shortest(r: CheckResult): Record<string, number> {
  expect(r.status).toBe('violated');
  if (r.status !== 'violated') return {};
  return Object.fromEntries(r.violations.map((v) => [v.property, v.trace.steps.length]));
}

describe("Peterson's mutual exclusion", () => {
  // Independent enumeration: a thread is its pc in the variant's step list; flag[i], turn
  // are plain fields. Steps: flag (flag[i]=true), turn (turn=j), wait (guard), cs, unflag.
  type P = { pc: [number, number]; flag: [boolean, boolean]; turn: number };
  const programs = {
    peterson: ['flag', 'turn', 'wait', 'cs', 'unflag'],
    swapped: ['turn', 'flag', 'wait', 'cs', 'unflag'],
    'no-turn': ['flag', 'wait', 'cs', 'unflag'],
  } as const;
  function enumeratePeterson(variant: keyof typeof programs, bad: (s: P, succs: P[]) => boolean) {
    const prog: readonly string[] = programs[variant];
    const succ = (s: P): P[] => {
      const out: P[] = [];
      for (const i of [0, 1]) {
        const j = 1 - i;
        const t: P = { pc: [...s.pc], flag: [...s.flag], turn: s.turn };
        const step = prog[s.pc[i]];
        if (step === 'wait' && !(!s.flag[j] || (variant !== 'no-turn' && s.turn === i))) continue;
        if (step === 'flag') t.flag[i] = true;
        if (step === 'turn') t.turn = j;
        if (step === 'unflag') t.flag[i] = false;
        t.pc[i] = (s.pc[i] + 1) % prog.length;
        out.push(t);
      }
      return out;
    };
    return enumerate<P>({ pc: [0, 0], flag: [false, false], turn: 0 }, succ, (s) => JSON.stringify(s), bad);
  }
  const bothInCs = (variant: keyof typeof programs) => (s: P) => programs[variant][s.pc[0]] === 'cs' && programs[variant][s.pc[1]] === 'cs';
  const stuck = (_s: P, succs: P[]) => succs.length === 0;

  it('holds, with 26 states, 44 transitions, depth 7 (as the independent enumeration finds)', async () => {
    // Peterson's proof: a thread passes `wait` only if the other's flag is down or the other
    // wrote turn last; both cannot hold at once, and a waiting thread always has one of them
    // become true, so neither mutual exclusion nor progress can fail (the liveness verdicts are
    // explained in test/models/liveness.test.ts).
    const r = await check(peterson);
    expect(r.status).toBe('holds');
    expect(r.status === 'holds' && r.properties).toEqual([MUTUAL_EXCLUSION, ASSERTIONS, DEADLOCK, PROGRESS, PETERSON_STARVATION, WAITING_ENTERS]);
    const e = enumeratePeterson('peterson', (s, ss) => bothInCs('peterson')(s) || stuck(s, ss));
    expect(e).toEqual({ states: 26, transitions: 44, depth: 7, firstBad: null });
    expect(stats(r)).toEqual({ states: 26, transitions: 44, depth: 7 });
  });

  it('swapped (turn before flag) breaks mutual exclusion in exactly 6 steps', async () => {
    // Each thread needs 3 steps (turn, flag, wait) to enter, so no trace is shorter than 6;
    // 6 suffice: t0 turn=1, t1 turn=0, t1 flag, t1 passes (flag[0] down), t0 flag, t0 passes
    // (turn == 0). The enumeration finds the first state with both in cs at distance 6.
    const r = await check(peterson, { params: { variant: 'swapped' }, allProperties: true });
    expect(shortest(r)).toEqual({ [MUTUAL_EXCLUSION]: 6 });
    expect(enumeratePeterson('swapped', bothInCs('swapped')).firstBad).toBe(6);
    const full = await fullGraph(buildModel(peterson, { variant: 'swapped' }));
    const e = enumeratePeterson('swapped', () => false);
    expect(stats(full)).toEqual({ states: e.states, transitions: e.transitions, depth: e.depth });
    expect(e.states).toBe(50);
  });

  it('no-turn keeps mutual exclusion but deadlocks in exactly 2 steps', async () => {
    // Both threads raise their flags (2 steps), then each awaits the other's flag going down.
    // That state repeats forever with both threads at 'wait': the same 2 steps are a lasso
    // breaking every liveness property too.
    const r = await check(peterson, { params: { variant: 'no-turn' }, allProperties: true });
    expect(shortest(r)).toEqual({ [DEADLOCK]: 2, [PROGRESS]: 2, [PETERSON_STARVATION]: 2, [WAITING_ENTERS]: 2 });
    const e = enumeratePeterson('no-turn', stuck);
    expect(e.firstBad).toBe(2);
    expect(enumeratePeterson('no-turn', bothInCs('no-turn')).firstBad).toBeNull();
    const full = await fullGraph(buildModel(peterson, { variant: 'no-turn' }));
    expect(stats(full)).toEqual({ states: e.states, transitions: e.transitions, depth: e.depth });
    expect(e.states).toBe(12);
  });
});

describe('dining philosophers', () => {
  // Independent enumeration: a philosopher is 0 (thinking), 1 (holds its first fork) or 2
  // (holds both, eating); fork owners follow from that. Step 0 needs the first fork free,
  // step 1 the second; step 2 (eat) drops both and returns to 0.
  function enumerateDining(n: number, ordered: boolean) {
    const order = (i: number): [number, number] => {
      const left = i;
      const right = (i + 1) % n;
      return ordered && right < left ? [right, left] : [left, right];
    };
    const held = (s: number[], f: number) => s.some((pc, i) => (pc >= 1 && order(i)[0] === f) || (pc === 2 && order(i)[1] === f));
    const succ = (s: number[]): number[][] => {
      const out: number[][] = [];
      s.forEach((pc, i) => {
        if (pc < 2 && held(s, order(i)[pc])) return;
        const t = [...s];
        t[i] = (pc + 1) % 3;
        out.push(t);
      });
      return out;
    };
    return enumerate(Array<number>(n).fill(0), succ, (s) => s.join(''), (_s, ss) => ss.length === 0);
  }

  it('left-first, N = 2: 6 states, 8 transitions (by hand); deadlock in 2 steps', async () => {
    // By hand: pairs (p0, p1) in {0,1,2}² whose forks are disjoint: 00 01 02 10 11 20 — 6.
    // Enabled steps: 00:2 01:2 02:1 10:2 11:0 (the deadlock) 20:1 — 8 transitions.
    const full = await fullGraph(buildModel(dining, { philosophers: 2 }));
    expect(stats(full)).toEqual({ states: 6, transitions: 8, depth: 2 });
    expect(enumerateDining(2, false)).toEqual({ states: 6, transitions: 8, depth: 2, firstBad: 2 });
  });

  it.each([2, 3, 4])('left-first, N = %i: deadlock after exactly N steps; full graph as enumerated', async (n) => {
    // Everyone takes the left fork first: after each of the N philosophers has taken one
    // (N steps, and no deadlock can come sooner: a deadlock needs every fork held and no one
    // eating), each waits for its right neighbour's fork — a cycle.
    const r = await check(dining, { params: { philosophers: n } });
    expect(shortest(r)).toEqual({ [DEADLOCK]: n });
    const full = await fullGraph(buildModel(dining, { philosophers: n }));
    const e = enumerateDining(n, false);
    expect(e.firstBad).toBe(n);
    expect(stats(full)).toEqual({ states: e.states, transitions: e.transitions, depth: e.depth });
    // States are the consistent fork assignments: the trace of T^N for the 3×3 transfer matrix
    // T = [[1,1,1],[1,1,1],[1,0,0]] (a philosopher eating forbids its right neighbour from
    // holding any fork) — the companion Pell numbers 2, 6, 14, 34, … (OEIS A002203).
    expect(e.states).toBe([0, 2, 6, 14, 34][n]);
  });

  it('left-first, N = 3: 14 states, 27 transitions, depth 3 (by hand)', async () => {
    // By rotation symmetry, transitions = 3 × (states where phil0 can move). phil0 thinking
    // (needs fork 0, which only an eating phil2 holds): 7 states, 5 with phil2 not eating;
    // phil0 holding fork 0 (needs fork 1: phil1 thinking, phil2 not eating): 2; phil0
    // eating (always enabled; phil1 thinking, phil2 not eating): 2. 3 × 9 = 27.
    const full = await fullGraph(buildModel(dining, { philosophers: 3 }));
    expect(stats(full)).toEqual({ states: 14, transitions: 27, depth: 3 });
  });

  it.each([
    // N = 2 by hand: phil1 also takes fork 0 first, so 11 (both holding fork 0) vanishes:
    // 00 01 02 10 20 — 5 states; enabled: 00:2 01:1 02:1 10:1 20:1 — 6 transitions.
    // N = 3, 4: the independent enumeration below (and the engine) agree on these.
    [2, 5, 6, 2],
    [3, 12, 22, 3],
    [4, 29, 72, 4],
  ])('ordered, N = %i: holds (under strong fairness) with %i states, %i transitions, depth %i', async (n, states, transitions, depth) => {
    // Forks are taken in increasing number: the holder of the highest-numbered held fork can
    // always take its second fork (higher still, so free) or eat, so no cycle of waiters forms.
    // Starvation freedom needs strong fairness here (test/models/liveness.test.ts says why).
    const r = await check(dining, { params: { philosophers: n, variant: 'ordered' }, fairness: 'strong' });
    expect(r.status).toBe('holds');
    expect(r.status === 'holds' && r.properties).toEqual([NEIGHBOURS_NOT_EATING, ASSERTIONS, DEADLOCK, PROGRESS, STARVATION_FREEDOM]);
    expect(stats(r)).toEqual({ states, transitions, depth });
    const e = enumerateDining(n, true);
    expect(e).toEqual({ states, transitions, depth, firstBad: null });
  });
});

describe('two-phase commit (TwoPhase.tla)', () => {
  // Independent enumeration of TwoPhase.tla over strings: rmState as letters w/p/c/a, tmState
  // i/c/a, tmPrepared and the Prepared messages as bit masks, Commit/Abort sent as flags
  // (they are sent exactly when tmState becomes committed/aborted).
  type T = { rm: string[]; tm: string; tmPrepared: number; preparedMsgs: number };
  function enumerateTwoPhase(n: number) {
    const all = (1 << n) - 1;
    const succ = (s: T): T[] => {
      const out: T[] = [];
      const with_ = (p: Partial<T>) => out.push({ ...s, ...p });
      if (s.tm === 'i' && s.tmPrepared === all) with_({ tm: 'c' }); // TMCommit
      if (s.tm === 'i') with_({ tm: 'a' }); // TMAbort
      for (let r = 0; r < n; r++) {
        const set = (x: string) => s.rm.map((y, k) => (k === r ? x : y));
        if (s.tm === 'i' && s.preparedMsgs & (1 << r)) with_({ tmPrepared: s.tmPrepared | (1 << r) });
        if (s.rm[r] === 'w') with_({ rm: set('p'), preparedMsgs: s.preparedMsgs | (1 << r) });
        if (s.rm[r] === 'w') with_({ rm: set('a') });
        if (s.tm === 'c') with_({ rm: set('c') });
        if (s.tm === 'a') with_({ rm: set('a') });
      }
      return out;
    };
    const key = (s: T) => `${s.rm.join('')}|${s.tm}|${s.tmPrepared}|${s.preparedMsgs}`;
    const inconsistent = (s: T) => s.rm.includes('c') && s.rm.includes('a');
    return enumerate<T>({ rm: Array<string>(n).fill('w'), tm: 'i', tmPrepared: 0, preparedMsgs: 0 }, succ, key, (s, ss) => inconsistent(s) || ss.length === 0);
  }

  it('RM = 3: exactly 288 distinct states, 1145 transitions, depth 10 — as TLC reports', async () => {
    // tlaplus/Examples specifications/transaction_commit/manifest.json, TwoPhase.cfg
    // (RM = {r1, r2, r3}): distinctStates 288, totalStates 1146, stateDepth 11. TLC's
    // "states generated" also counts the initial state (1146 = 1 + 1145 successors), and its
    // depth counts states on the longest path, not steps (11 states = 10 steps).
    // The verdict: TLC checks TPTypeOK; TCConsistent holds because TMCommit needs every RM
    // prepared, so no RM can still be working to choose abort, and once the TM has decided
    // it never sends the other message. The depth, by hand, is 3·RM + 1 for any RM: the
    // longest shortest path is to "all committed": RM prepares, RM receipts of Prepared,
    // TMCommit, RM receipts of Commit (10, 13, 16, 19 for RM = 3…6, as asserted below).
    const r = await check(twoPhase);
    expect(r.status).toBe('holds');
    expect(r.status === 'holds' && r.properties).toEqual([TP_TYPE_OK, TC_CONSISTENT, DEADLOCK]);
    expect(stats(r)).toEqual({ states: 288, transitions: 1145, depth: 10 });
    expect(enumerateTwoPhase(3)).toEqual({ states: 288, transitions: 1145, depth: 10, firstBad: null });
  });

  it('RM = 4: 1,568 states, 8,257 transitions, depth 13 (independent enumeration)', async () => {
    const r = await check(twoPhase, { params: { rms: 4 } });
    expect(r.status).toBe('holds');
    expect(stats(r)).toEqual({ states: 1568, transitions: 8257, depth: 13 });
    expect(enumerateTwoPhase(4)).toEqual({ states: 1568, transitions: 8257, depth: 13, firstBad: null });
  });

  it("RM = 5: 8,832 states — Stateright's examples/2pc.rs asserts the same", async () => {
    // stateright/stateright examples/2pc.rs, can_model_2pc: unique_state_count() == 8_832
    // for rms 0..5 (and 288 for 0..3).
    const r = await check(twoPhase, { params: { rms: 5 } });
    expect(r.status).toBe('holds');
    expect(stats(r)).toEqual({ states: 8832, transitions: 58145, depth: 16 });
  });

  it('RM = 6: 50,816 states — the figure in TwoPhase.tla\'s closing comment', async () => {
    // TwoPhase.tla: "checked with TLC for six RMs, a configuration with 50816 reachable states".
    const r = await check(twoPhase, { params: { rms: 6 } });
    expect(r.status).toBe('holds');
    expect(stats(r)).toEqual({ states: 50816, transitions: 402305, depth: 19 });
  });

  it('eager-commit (TMCommit without every RM prepared) breaks TCConsistent in exactly 3 steps', async () => {
    // TMCommit, RMChooseToAbort(r1), RMRcvCommitMsg(r2): fewer steps cannot work, since a
    // committed RM needs the Commit message (TMCommit, then its receipt) and an aborted one a
    // step of its own.
    const r = await check(twoPhase, { params: { variant: 'eager-commit' }, allProperties: true });
    expect(shortest(r)).toEqual({ [TC_CONSISTENT]: 3 });
    if (r.status === 'violated') {
      expect(r.violation.trace.steps.map((s) => s.action)).toEqual(['TMCommit', 'RMChooseToAbort(r1)', 'RMRcvCommitMsg(r2)']);
    }
  });
});

describe('classic catalog', () => {
  it('names every classic model by its definition name, with a file under models/', async () => {
    for (const entry of classicCatalog) {
      const url = new URL(`../../models/${entry.file}`, import.meta.url);
      expect(existsSync(url)).toBe(true);
      const mod = (await import(url.href)) as { default: { name: string } };
      expect(mod.default.name).toBe(entry.name);
    }
    expect(classicCatalog.map((e) => e.name)).toEqual(['peterson', 'dining-philosophers', 'two-phase-commit']);
  });
});
