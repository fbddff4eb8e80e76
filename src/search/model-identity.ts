// Proof that a worker thread runs the same model as the main thread. A worker builds the model
// afresh from its file and parameters, so a stale bundle, a file changed since the run began,
// or model code that branches on the thread it runs in (isMainThread, threadId, workerData)
// would make it search a different state space — and the shared seen set would add the two
// up into a count that belongs to neither. Two checks, each a model error (exit 2) when it
// fails, never a count:
//  - before a worker joins: the digest of what the model is at its start (`modelIdentity`:
//    name, properties, step labels, the initial states' fingerprints, each one's enabled
//    steps and their successors' fingerprints, and on the vector engine the slot layout and
//    the initial vectors' keys) must equal the main thread's;
//  - while the search runs: workers compute a digest of the behaviour (`behaviourDigest`:
//    enabled steps, successors' fingerprints, property verdicts) of a deterministic sample of
//    the states they expand, one in SAMPLE_ONE_IN by global index, and the main thread
//    computes it again for those states after each level.
// Known limit (FIXME): model code that differs between threads only on states outside the
// sample is not caught; a larger sample costs the main thread proportionally more.
import { createHash } from 'node:crypto';
import { fingerprintInto } from '../state/fingerprint.ts';
import { Successors } from '../model/vector.ts';
import type { Loaded } from './loaded.ts';
import { LevelCursor } from './blocks.ts';
import { unpackVector } from '../state/packed.ts';
import type { LevelRef, ModelIdentity, RangeResult } from './protocol.ts';

/** One state in this many (by global index) that a worker expands is checked again by the main thread. */
export const SAMPLE_ONE_IN = 64;
const SAMPLE_SHIFT = 32 - Math.log2(SAMPLE_ONE_IN);

/** True when the state with global index `index` is in the sample (a multiplicative hash, so no stride of the level lines up with it). */
export function isSampled(index: number): boolean {
  return Math.imul(index + 1, 0x9e3779b1) >>> SAMPLE_SHIFT === 0;
}

const hex = (fp: Uint32Array) => (fp[0] >>> 0).toString(16).padStart(8, '0') + (fp[1] >>> 0).toString(16).padStart(8, '0');

const SHOWN_LINES = 200;

/**
 * What the model is at its start, as thread `L` built it: equal in every thread that built
 * the same model with the same parameters and engine. Call it before the search (on the
 * vector engine, after `shareInvariantReads`: it runs the model's invariants).
 */
export function modelIdentity(L: Loaded): ModelIdentity {
  const { model } = L;
  const h = createHash('sha256');
  const lines: string[] = [];
  const line = (s: string) => {
    h.update(s + '\n');
    if (lines.length < SHOWN_LINES) lines.push(s);
  };
  const fp = new Uint32Array(2);
  line(`model '${model.name}' on the ${L.engine} engine`);
  for (const p of model.properties) line(`property '${p.name}' (${p.kind})`);
  for (const a of model.allActions?.() ?? []) line(`step '${a}'`);
  const inits = model.initStates();
  line(`${inits.length} initial state${inits.length === 1 ? '' : 's'}`);
  inits.forEach((s, i) => {
    fingerprintInto(s, fp);
    line(`initial state ${i}: fingerprint ${hex(fp)}`);
    for (const a of model.actions(s)) {
      fingerprintInto(model.next(s, a), fp);
      line(`initial state ${i}: step '${model.formatAction(s, a)}' leads to fingerprint ${hex(fp)}`);
    }
  });
  const vm = L.vector;
  if (vm !== undefined && L.zobrist !== undefined) {
    const slots: string[] = [];
    for (let i = 0; i < vm.width; i++) slots.push(vm.slotName(i));
    line(`vector layout: ${slots.join(', ')}`);
    const vec = new Int32Array(vm.width);
    inits.forEach((s, i) => {
      vm.encode(s, vec);
      const d = behaviourDigest(L, vec);
      line(`initial state ${i} as a vector: behaviour ${(d[0] >>> 0).toString(16)}${(d[1] >>> 0).toString(16)}`);
    });
  }
  return { digest: h.digest('hex').slice(0, 32), lines };
}

/**
 * Why a worker's model (`mine`) is not the main thread's (`main`): the first line that
 * differs, or null when they are the same.
 */
export function identityMismatch(main: ModelIdentity, mine: ModelIdentity): string | null {
  if (main.digest === mine.digest) return null;
  const n = Math.max(main.lines.length, mine.lines.length);
  let where = 'a part of the model past what is compared line by line';
  for (let i = 0; i < n; i++) {
    if (main.lines[i] !== mine.lines[i]) {
      where = `the main thread has ${main.lines[i] === undefined ? 'nothing' : `"${main.lines[i]}"`} where the worker has ${mine.lines[i] === undefined ? 'nothing' : `"${mine.lines[i]}"`}`;
      break;
    }
  }
  return `a worker thread built a different model from the same file and parameters (${where}): model code must not depend on the thread it runs in (isMainThread, threadId, workerData), and the model's files must not change during a run`;
}

/** Two 32-bit lanes of a running hash. */
class Digest {
  a = 0x2545f491;
  b = 0x6a09e667;

  add(x: number): void {
    this.a = Math.imul(this.a ^ x, 0x85ebca6b);
    this.a ^= this.a >>> 13;
    this.b = Math.imul(this.b ^ x, 0xc2b2ae35);
    this.b ^= this.b >>> 16;
  }

  addText(s: string | null): void {
    if (s === null) {
      this.add(-1);
      return;
    }
    this.add(s.length);
    for (let i = 0; i < s.length; i++) this.add(s.charCodeAt(i));
  }
}

/**
 * Adds a worker's sample of the state at `pos` of a range to `samples` ([pos, a, b]). Model
 * code that throws here is left to the expansion that follows, which names the step.
 */
export function addSample(samples: number[], L: Loaded, pos: number, state: unknown): void {
  try {
    const d = behaviourDigest(L, state);
    samples.push(pos, d[0], d[1]);
  } catch {
    // the expansion reports it
  }
}

const scratchSuccessors = new WeakMap<Loaded, Successors>();

/**
 * A digest of how the model behaves on one state (an Immutable value, or a vector on the
 * vector engine): its invariants' verdicts, whether it is an accepted end state, and for each
 * enabled step in order its transition properties' verdicts and its successor's fingerprint
 * (before any reduction). Two threads running the same model agree on every state.
 */
export function behaviourDigest(L: Loaded, state: unknown): [number, number] {
  const d = new Digest();
  const fp = new Uint32Array(2);
  const vm = L.vector;
  const z = L.zobrist;
  if (vm !== undefined && z !== undefined) {
    const vec = state as Int32Array;
    let succ = scratchSuccessors.get(L);
    if (succ === undefined) scratchSuccessors.set(L, (succ = new Successors()));
    for (let q = 0; q < vm.invariantCount; q++) d.addText(vm.checkInvariant(q, vec));
    vm.successors(vec, succ);
    d.add(succ.count);
    if (succ.count === 0) d.add(vm.isEnd(vec) ? 1 : 0);
    const next = new Int32Array(vm.width);
    for (let i = 0; i < succ.count; i++) {
      const { g, k } = succ.at(i);
      next.set(vec);
      const delta = g.deltas[k];
      for (let j = 0; j < delta.length; j += 2) next[delta[j]] = delta[j + 1];
      z.full(next, fp);
      d.add(fp[0]);
      d.add(fp[1]);
      const msgs = g.messages[k];
      for (let t = 0; t < vm.transitionCount; t++) d.addText(msgs === null ? null : msgs[t]);
    }
    return [d.a, d.b];
  }
  const { model } = L;
  for (const inv of L.invariants) d.addText(inv.check(state));
  const acts = model.actions(state);
  d.add(acts.length);
  if (acts.length === 0) d.add(L.deadlock === undefined || L.deadlock.isEnd(state) ? 1 : 0);
  for (const a of acts) {
    const next = model.next(state, a);
    fingerprintInto(next, fp);
    d.add(fp[0]);
    d.add(fp[1]);
    for (const tp of L.transitions) d.addText(tp.check(state, a, next));
  }
  return [d.a, d.b];
}

/**
 * The main thread's check of the workers' samples of a level (RangeResult.samples): each
 * sampled state is decoded from the level and its behaviour computed here. Returns why they
 * differ (the first state that does, in level order), or null.
 */
export function checkSamples(main: Loaded, level: LevelRef, depth: number, ranges: readonly RangeResult[]): string | null {
  // In level order, so one cursor walks the level once.
  const entries: { pos: number; a: number; b: number }[] = [];
  for (const r of ranges) {
    const s = r.samples;
    if (s !== undefined) for (let j = 0; j < s.length; j += 3) entries.push({ pos: s[j], a: s[j + 1], b: s[j + 2] });
  }
  if (entries.length === 0) return null;
  entries.sort((x, y) => x.pos - y.pos);
  const cursor = new LevelCursor(level);
  const vec = main.vector !== undefined ? new Int32Array(main.vector.width) : null;
  let bad: number | undefined;
  cursor.seek(entries[0].pos);
  for (const { pos, a, b } of entries) {
    while (cursor.pos < pos) cursor.advance();
    let state: unknown;
    if (vec !== null) {
      unpackVector(cursor.bytes[cursor.segment], cursor.offset, cursor.end, vec);
      state = vec;
    } else state = main.codec.decode(cursor.bytes[cursor.segment], cursor.offset);
    let same = false;
    try {
      const d = behaviourDigest(main, state);
      same = d[0] === a && d[1] === b;
    } catch {
      // model code that throws here and not in the worker: they differ
    }
    if (!same) {
      bad = pos;
      break;
    }
  }
  // What this thread decoded must not be mistaken for a later level's states.
  main.codec.forgetDecoded();
  if (bad === undefined) return null;
  return `a worker thread and the main thread disagree on a state at depth ${depth} (number ${level.start + bad} in breadth-first order): its enabled steps, their successors or its property verdicts differ: model code must not depend on the thread it runs in (isMainThread, threadId, workerData), and the model's files must not change during a run`;
}
