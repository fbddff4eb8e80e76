// What one range of a level records for liveness checking, in whichever thread expands it:
// per state, the liveness predicates that hold there; per transition, the successor's
// seen-set key and the process (thread) taking it. Plain typed arrays, so a record crosses
// threads with the range's result; the coordinator turns keys into state ids (state-graph.ts).

/** A range's part of the state graph, positions in order and each state's transitions in action order. */
export interface RangeGraph {
  /** Words of labels per state. */
  readonly words: number;
  /** States recorded (the range's positions, in order). */
  readonly states: number;
  /** Per state, `words` words: bit j set when liveness predicate j holds there. */
  readonly labels: Uint32Array;
  /** Per state: its transitions. */
  readonly degrees: Uint32Array;
  /** Per transition: the successor's key, [high, low]. */
  readonly keys: Uint32Array;
  /** Per transition: the process taking it. */
  readonly procs: Uint8Array;
}

/** Label words for `predicates` liveness predicates. */
export function labelWords(predicates: number): number {
  return Math.max(1, Math.ceil(predicates / 32));
}

/**
 * Records a range as it is expanded: `state()` for each position, then `label(j)` for each
 * predicate holding there and `edge(…)` for each transition, in action order.
 *
 * @example
 *   const rec = new RangeGraphBuilder(1, to - from);
 *   rec.state(); if (p(s)) rec.label(0); rec.edge(hi, lo, thread);
 *   const graph = rec.finish();
 */
export class RangeGraphBuilder {
  private readonly labels: Uint32Array;
  private readonly degrees: Uint32Array;
  private keys = new Uint32Array(256);
  private procs = new Uint8Array(128);
  private edges = 0;
  private current = -1;

  constructor(
    private readonly words: number,
    states: number,
  ) {
    this.labels = new Uint32Array(words * states);
    this.degrees = new Uint32Array(states);
  }

  /** Begins the next state of the range. */
  state(): void {
    this.current++;
  }

  /** Liveness predicate `j` holds in the current state. */
  label(j: number): void {
    this.labels[this.current * this.words + (j >>> 5)] |= 1 << (j & 31);
  }

  /** A transition of the current state to the state keyed (hi, lo), taken by process `proc`. */
  edge(hi: number, lo: number, proc: number): void {
    if (this.edges === this.procs.length) {
      const k = new Uint32Array(this.keys.length * 2);
      k.set(this.keys);
      this.keys = k;
      const p = new Uint8Array(this.procs.length * 2);
      p.set(this.procs);
      this.procs = p;
    }
    this.keys[2 * this.edges] = hi;
    this.keys[2 * this.edges + 1] = lo;
    this.procs[this.edges++] = proc;
    this.degrees[this.current]++;
  }

  /** The record (only the states begun so far count). */
  finish(): RangeGraph {
    const states = this.current + 1;
    return {
      words: this.words,
      states,
      labels: this.labels.subarray(0, states * this.words),
      degrees: this.degrees.subarray(0, states),
      keys: this.keys.slice(0, 2 * this.edges),
      procs: this.procs.slice(0, this.edges),
    };
  }
}
