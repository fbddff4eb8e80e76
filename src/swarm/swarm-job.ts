// One swarm job: a depth-first search of the model to a depth bound, in an order of its own
// (the model's, reversed, or shuffled by a seed), with a hash-compacted seen set of its own
// (compact-table.ts), stopping at its first counterexample or when any other job of the swarm
// found one (SPIN's swarm verification: many such searches, each cheap and different, cover
// more of a state space too big for one exhaustive search than one search could).
//
// Safety only: invariants on every new state, transition properties on every step, deadlocks
// on every state without successors. A job that ends without cutting a path at its bound and
// without filling its table has explored every reachable state (up to a fingerprint collision).
import { CompactTable, Met } from './compact-table.ts';
import type { Broken, Kids, SwarmSpace } from './swarm-space.ts';

/** The step orders jobs are given, in turn: job 0 takes the model's, job 1 its reverse, the rest a seeded shuffle. */
export const ORDERS = ['model', 'reverse', 'random'] as const;
export type StepOrder = (typeof ORDERS)[number];

/** What one job is asked to do. */
export interface SwarmJobSpec {
  /** 0-based. */
  readonly index: number;
  readonly seed: number;
  readonly order: StepOrder;
  /** Paths are cut at this many steps. */
  readonly depthBound: number;
  /** The most states its table holds. */
  readonly maxStates: number;
}

/** A counterexample as a job found it: the initial state's index and the action indices from it. */
export interface FoundViolation extends Broken {
  readonly initIndex: number;
  readonly actions: readonly number[];
}

/** How a job ended. */
export type JobEnd = 'complete' | 'bounded' | 'table-full' | 'violated' | 'stopped';

/** What a job did. */
export interface SwarmJobReport {
  readonly spec: SwarmJobSpec;
  readonly end: JobEnd;
  /** Distinct states stored. */
  readonly states: number;
  /** Steps taken (a state expanded again from closer to the root counts its steps again). */
  readonly transitions: number;
  /** The deepest state reached. */
  readonly maxDepth: number;
  /** States at the depth bound that have successors, not explored. */
  readonly cut: number;
  readonly elapsedMs: number;
  readonly tableBytes: number;
  /** Transitions per step label. */
  readonly fired: Readonly<Record<string, number>>;
  readonly violation?: FoundViolation;
}

/** Words of the swarm's shared control buffer: which job found a counterexample first (job index + 1, 0 = none). */
export const FOUND = 0;
/** Control words. */
export const CONTROL_WORDS = 1;

/** xorshift32: a small, fast, seeded generator (the same seed gives the same job). */
function random(seed: number): () => number {
  let x = seed | 0 || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** The order in which a job visits `n` items (undefined: 0, 1, …). */
function orderOf(n: number, order: StepOrder, next: () => number): Int32Array | undefined {
  if (order === 'model') return undefined;
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) o[i] = order === 'reverse' ? n - 1 - i : i;
  if (order === 'random') {
    for (let i = n - 1; i > 0; i--) {
      const j = next() % (i + 1);
      const t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
  }
  return o;
}

interface Frame<S> {
  readonly state: S;
  /** The state's key. */
  readonly hi: number;
  readonly lo: number;
  /** The action index that led here (-1 for an initial state). */
  readonly action: number;
  children?: Kids<S>;
  order?: Int32Array;
  next: number;
}

/** The first step of `kids` that breaks a transition property, or -1. */
function firstBroken<S>(kids: Kids<S>): number {
  for (let i = 0; i < kids.count; i++) if (kids.broken(i) !== null) return i;
  return -1;
}

/** How often (in states) a job looks at the shared stop words. */
const POLL = 256;

/**
 * Runs job `spec` over `space` to its end. `found` is the swarm's control buffer (FOUND),
 * `stop` a StopRequest's buffer (time limit, Ctrl-C): both read every few hundred states.
 */
export function runSwarmJob<S>(space: SwarmSpace<S>, spec: SwarmJobSpec, found: SharedArrayBuffer, stop: SharedArrayBuffer): SwarmJobReport {
  const job = new SwarmJob(space, spec, found, stop);
  while (!job.run(Infinity));
  return job.report();
}

/**
 * A job that runs in slices (`run(budget)`), so a process that must keep answering — a cluster
 * node's heartbeats — can run one between its messages.
 */
export class SwarmJob<S> {
  private readonly t0 = performance.now();
  private readonly control: Int32Array;
  private readonly stopWords: Int32Array;
  private readonly table: CompactTable;
  private readonly next: () => number;
  private readonly fp = new Uint32Array(2);
  private readonly tally;
  private transitions = 0;
  private maxDepth = 0;
  private cut = 0;
  // The first look is at once: a job that starts after another found a counterexample stops there.
  private polls = POLL - 1;
  private end: JobEnd | undefined;
  private violation: FoundViolation | undefined;
  private readonly stack: Frame<S>[] = [];
  private readonly roots: readonly S[];
  private readonly rootOrder: Int32Array | undefined;
  /** The next initial state to start from, and the one the stack started from. */
  private r = 0;
  private initIndex = 0;

  constructor(
    private readonly space: SwarmSpace<S>,
    private readonly spec: SwarmJobSpec,
    found: SharedArrayBuffer,
    stop: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(found);
    this.stopWords = new Int32Array(stop);
    this.table = new CompactTable(spec.maxStates);
    this.next = random(spec.seed);
    this.tally = space.tally();
    this.roots = space.roots();
    this.rootOrder = orderOf(this.roots.length, spec.order, this.next);
  }

  /** Runs about `budget` more states; true when the job has ended. */
  run(budget: number): boolean {
    const { space, table, fp, stack } = this;
    while (this.end === undefined && budget-- > 0) {
      if (stack.length === 0 && !this.startNext()) break;
      if (stack.length === 0) continue;
      if (++this.polls === POLL) {
        this.polls = 0;
        if (Atomics.load(this.control, FOUND) !== 0 || Atomics.load(this.stopWords, 0) !== 0) this.end = 'stopped';
        if (this.end !== undefined) break;
      }
      const f = stack[stack.length - 1];
      const depth = stack.length - 1;
      if (f.children === undefined && !this.expand(f, depth)) continue;
      if (f.next >= f.children!.count) {
        stack.pop();
        continue;
      }
      const i = f.order === undefined ? f.next++ : f.order[f.next++];
      f.children!.key(i, fp);
      const met = table.meet(fp[0], fp[1], depth + 1);
      if (met === Met.Seen) continue;
      if (met === Met.Full) {
        this.end = 'table-full';
        break;
      }
      const child = f.children!.state(i);
      if (met === Met.New) {
        const b = space.brokenInvariant(child);
        if (b !== null) {
          this.found(b, this.pathTo(i));
          break;
        }
      }
      if (depth + 1 > this.maxDepth) this.maxDepth = depth + 1;
      stack.push({ state: child, hi: fp[0], lo: fp[1], action: i, next: 0 });
    }
    if (this.end === undefined && stack.length === 0 && this.r >= this.roots.length) this.end = this.cut > 0 ? 'bounded' : 'complete';
    return this.end !== undefined;
  }

  /** What the job did (so far, before it ended). */
  report(): SwarmJobReport {
    return {
      spec: this.spec,
      end: this.end ?? 'stopped',
      states: this.table.size,
      transitions: this.transitions,
      maxDepth: this.maxDepth,
      cut: this.cut,
      elapsedMs: performance.now() - this.t0,
      tableBytes: this.table.bytes,
      fired: this.tally.labels(),
      ...(this.violation !== undefined ? { violation: this.violation } : {}),
    };
  }

  /** Starts from the next initial state not yet seen; false when none is left. */
  private startNext(): boolean {
    const { table, fp } = this;
    while (this.r < this.roots.length) {
      const initIndex = this.rootOrder === undefined ? this.r : this.rootOrder[this.r];
      this.r++;
      const root = this.roots[initIndex];
      this.space.key(root, fp);
      const met = table.meet(fp[0], fp[1], 0);
      if (met === Met.Seen) continue;
      this.initIndex = initIndex;
      if (met === Met.Full) {
        this.end = 'table-full';
        return false;
      }
      const b = this.space.brokenInvariant(root);
      if (b !== null) {
        this.found(b, []);
        return false;
      }
      this.stack.push({ state: root, hi: fp[0], lo: fp[1], action: -1, next: 0 });
      return true;
    }
    return false;
  }

  /** Takes the successors of the top state `f`; false when it has none to visit (popped). */
  private expand(f: Frame<S>, depth: number): boolean {
    const kids = this.space.successors(f.state, f.hi, f.lo);
    if (kids.count === 0) {
      // A deadlock at the bound is within it: only steps beyond it are cut.
      const b = this.space.deadlock(f.state);
      if (b !== null) this.found(b, this.pathTo());
      this.stack.pop();
      return false;
    }
    if (depth >= this.spec.depthBound) {
      this.cut++;
      this.stack.pop();
      return false;
    }
    this.transitions += kids.count;
    this.tally.add(f.state, kids);
    const bad = firstBroken(kids);
    if (bad >= 0) {
      this.found(kids.broken(bad)!, this.pathTo(bad));
      return false;
    }
    f.children = kids;
    f.order = orderOf(kids.count, this.spec.order, this.next);
    return true;
  }

  private pathTo(last?: number): number[] {
    const p = this.stack.slice(1).map((f) => f.action);
    if (last !== undefined) p.push(last);
    return p;
  }

  private found(b: Broken, actions: number[]): void {
    this.violation = { ...b, initIndex: this.initIndex, actions };
    this.end = 'violated';
    // The first job to find one stops the others.
    Atomics.compareExchange(this.control, FOUND, 0, this.spec.index + 1);
  }
}
