// A node's part of one cluster search, bundled with the model and shipped from the
// coordinator (model-shipment.ts): the model built from the bundled file and parameters and
// proved to be the coordinator's (model-identity.ts), then the coordinator's requests for
// each level — expand this node's part of the level, sending each successor to the node that
// owns its key in batches (wire.ts); settle the successors this node owns into its part of
// the next level (owned-states.ts), checking their invariants; take the level's positions
// the coordinator merged; count the transitions before a stopping point; give a trace entry.
//
// It expands its states in the level's order, so its first transition-property failure and
// first deadlock of a level are its smallest (position, action): the coordinator orders the
// nodes' events as the search on one thread does (level-report.ts).
import { checkDefinition } from '../model/definition.ts';
import { buildModel } from '../model/build.ts';
import type { Model } from '../model/model.ts';
import { ModelError, errorText } from '../model/errors.ts';
import { Successors } from '../model/vector.ts';
import { ByteSink } from '../state/codec.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { packVector, unpackVector } from '../state/packed.ts';
import { immutableFailure, keyAfter } from '../search/expand-vectors.ts';
import { locateMessage } from '../search/expand-values.ts';
import { loadedFrom, type Loaded } from '../search/loaded.ts';
import { modelIdentity } from '../search/model-identity.ts';
import type { ModelIdentity } from '../search/protocol.ts';
import { highWord, lowWord, partitionOf } from '../search/shared-seen-set.ts';
import { KeyTable } from './key-table.ts';
import { OwnedStates, type OwnedLevel } from './owned-states.ts';
import { runNodeJob } from '../swarm/swarm-node.ts';
import type { SwarmJobSpec } from '../swarm/swarm-job.ts';
import { BATCH_BYTES, SuccessorBatch, frame, readBatch, u32s, type Frame } from './wire.ts';

/** What the coordinator says of the run when it ships the model. */
export interface RunSpec {
  readonly file: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly symmetry: boolean;
  /** This node's index and the number of nodes. */
  readonly node: number;
  readonly nodes: number;
}

/**
 * How a node reaches the others: a request to node `k`'s batch subject, answered once the
 * batch is taken in; it rejects with an error whose `lostNode` is `k` when `k` does not answer.
 */
export type SendBatch = (k: number, data: Uint8Array) => Promise<void>;

/** A violation a node met, with the (position, action) the coordinator orders by and where its state is. */
export interface NodeEvent {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock';
  readonly message: string;
  readonly pos: number;
  readonly action: number;
  /** The node and index there of the state it failed on (for a transition: its source). */
  readonly node: number;
  readonly local: number;
  readonly hi: number;
  readonly lo: number;
}

/** Batches a node keeps in flight to each other node before it waits for one to be taken in. */
const WINDOW = 4;
/** A node lets its timers (heartbeats) and messages run at least this often (ms). */
const YIELD_MS = 50;

/** What a node's shell (node.ts) sees of the run. */
export interface NodeRun {
  readonly identity: ModelIdentity;
  /** Answers a control request. */
  control(f: Frame): Promise<Uint8Array>;
  /** Takes in a batch of successors this node owns. */
  batch(data: Uint8Array): void;
  /** Figures for heartbeats: states expanded, bytes sent, states owned. */
  progress(): { expanded: number; bytesSent: number; owned: number };
  /** Ends the level under way at the next state. */
  stop(): void;
}

/** The registry the bundle fills with the model module (bundle.ts). */
function bundledModel(file: string): Record<string, unknown> {
  const m = (globalThis as { __mmcheckBundledModels?: Record<string, Record<string, unknown>> }).__mmcheckBundledModels?.[file];
  if (m === undefined) throw new Error(`the bundle carries no model for '${file}'`);
  return m;
}

/** Builds the run's model on this node (from the bundle) and returns the node's side of the run. */
export function openRun(spec: RunSpec, send: SendBatch): NodeRun {
  const mod = bundledModel(spec.file);
  const def = mod.default ?? mod.model;
  checkDefinition(def, spec.file);
  const model = buildModel(def, spec.params) as Model<unknown, unknown>;
  const L = loadedFrom(model, { file: spec.file, params: spec.params, engine: 'vector', reduction: { symmetry: spec.symmetry } });
  return new NodeSearch(L, spec, send);
}

/** One node's state in one run. */
class NodeSearch implements NodeRun {
  readonly identity: ModelIdentity;
  private readonly owned = new OwnedStates();
  /** This node's part of the level being expanded, and of the next (settled, before its positions come). */
  private level?: OwnedLevel;
  private next?: OwnedLevel;
  /** Transitions of each state of the level (for counts before a stopping point). */
  private counts = new Uint32Array(0);
  private readonly sent = new KeyTable();
  private expanded = 0;
  private bytesSent = 0;
  private stopping = false;

  constructor(
    private readonly L: Loaded,
    private readonly spec: RunSpec,
    private readonly send: SendBatch,
  ) {
    this.identity = modelIdentity(L);
  }

  progress(): { expanded: number; bytesSent: number; owned: number } {
    return { expanded: this.expanded, bytesSent: this.bytesSent, owned: this.owned.total };
  }

  stop(): void {
    this.stopping = true;
  }

  batch(data: Uint8Array): void {
    readBatch(data, (hi, lo, pos, sender, local, action, bytes, from, to) => this.owned.offer(hi, lo, pos, sender, local, action, bytes, from, to));
  }

  async control(f: Frame): Promise<Uint8Array> {
    const h = f.header;
    if (Array.isArray(h.strings) && h.strings.length > 0) this.L.vector!.learnStrings(h.strings as string[]);
    switch (h.op) {
      case 'init':
        this.batch(f.payload);
        return frame({});
      case 'settle':
        return this.settle(new Set((h.skip as string[]) ?? []));
      case 'adopt':
        this.adopt(u32s(f.payload));
        return frame({});
      case 'expand':
        return this.expand(h.expand === true, new Set((h.skip as string[]) ?? []));
      case 'count':
        return frame({ transitions: this.transitionsBefore(h.pos as number, h.action as number) });
      case 'trace':
        return frame(this.owned.entry(h.local as number));
      case 'stop':
        this.stopping = true;
        return frame({});
      case 'swarm': {
        // A job of `mmcheck swarm --cluster` (src/swarm/swarm-node.ts).
        const report = await runNodeJob(this.L, h.spec as SwarmJobSpec, () => this.stopping);
        this.expanded += report.states;
        return frame({ report });
      }
      default:
        throw new Error(`unknown request '${String(h.op)}'`);
    }
  }

  /** The level's new states owned here, ordered; their invariants checked (the first failure of each property). */
  private settle(skip: ReadonlySet<string>): Uint8Array {
    const next = this.owned.settle();
    this.next = next;
    const { L } = this;
    const vm = L.vector!;
    const events: NodeEvent[] = [];
    const seen = new Set<string>(skip);
    const vec = new Int32Array(vm.width);
    for (let j = 0; j < next.count; j++) {
      let any = false;
      for (let q = 0; q < L.invariants.length; q++) {
        const name = L.invariants[q].name;
        if (seen.has(name)) continue;
        if (!any) {
          unpackVector(next.bytes, next.offsets[j], next.offsets[j + 1], vec);
          any = true;
        }
        const msg = vm.checkInvariant(q, vec);
        if (msg === null) continue;
        seen.add(name);
        const o = next.order[j];
        events.push({ property: name, kind: 'invariant', message: msg, pos: Math.floor(o / 65536), action: o % 65536, node: this.spec.node, local: next.firstLocal + j, hi: next.hi[j], lo: next.lo[j] });
      }
    }
    return frame({ count: next.count, events, strings: vm.takeHashedStrings(), bytes: this.owned.bytes }, [next.order]);
  }

  /** The positions of this node's part of the next level: it becomes the level to expand. */
  private adopt(positions: Uint32Array): void {
    const next = this.next;
    if (next === undefined || positions.length !== next.count) throw new Error(`positions for ${positions.length} states, this node holds ${next?.count ?? 0}`);
    next.positions = positions;
    this.level = next;
    this.next = undefined;
  }

  /** Transitions of this node's states of the level before (pos, action). */
  private transitionsBefore(pos: number, action: number): number {
    const lv = this.level;
    if (lv === undefined) return 0;
    let n = 0;
    for (let i = 0; i < lv.count; i++) {
      const p = lv.positions[i];
      if (p < pos) n += this.counts[i];
      else if (p === pos) n += Math.min(action, this.counts[i]);
    }
    return n;
  }

  /**
   * Expands this node's part of the level in order: each state's transitions, their
   * transition properties, a deadlock, and (`expand`, below the depth bound) each successor
   * sent to its owner — once per key from this node, the first (smallest) occurrence.
   */
  private async expand(expand: boolean, skip: ReadonlySet<string>): Promise<Uint8Array> {
    const lv = this.level;
    if (lv === undefined) throw new Error('no level to expand');
    const { L, spec } = this;
    const vm = L.vector!;
    const z = L.zobrist!;
    const canonical = vm.canonical;
    const cur = new Int32Array(vm.width);
    const nxt = new Int32Array(vm.width);
    const canon = new Int32Array(vm.width);
    const fp = new Uint32Array(2);
    const succ = new Successors();
    const sink = new ByteSink(1 << 12);
    const dl = L.deadlock !== undefined && !skip.has(L.deadlock.name) ? L.deadlock : undefined;
    const transNames = L.transitions.map((p) => p.name);
    const transDone = transNames.map((n) => skip.has(n));
    const events: NodeEvent[] = [];
    const batches = Array.from({ length: spec.nodes }, () => new SuccessorBatch(spec.node));
    const pending: Promise<void>[][] = Array.from({ length: spec.nodes }, () => []);
    let failure: unknown;
    const flush = async (k: number) => {
      const data = batches[k].take();
      this.bytesSent += data.byteLength;
      pending[k].push(this.send(k, data).catch((e) => void (failure ??= e)));
      if (pending[k].length >= WINDOW) await pending[k].shift();
    };
    this.counts = new Uint32Array(lv.count);
    this.sent.clear();
    this.stopping = false;
    let transitions = 0;
    let firstWithSuccessors = -1;
    let deadlockSeen = false;
    let lastYield = performance.now();
    let i = 0;
    try {
      for (i = 0; i < lv.count; i++) {
        if (this.stopping) return frame({ stopped: true });
        if (failure !== undefined) throw failure;
        unpackVector(lv.bytes, lv.offsets[i], lv.offsets[i + 1], cur);
        const pos = lv.positions[i];
        const local = lv.firstLocal + i;
        const h0 = lv.hi[i];
        const l0 = lv.lo[i];
        vm.successors(cur, succ);
        const n = succ.count;
        this.counts[i] = n;
        this.expanded++;
        if (n > 0 && firstWithSuccessors < 0) firstWithSuccessors = pos;
        if (n === 0) {
          if (dl !== undefined && !deadlockSeen && !vm.isEnd(cur)) {
            deadlockSeen = true;
            events.push({ property: dl.name, kind: 'deadlock', message: `no thread can move: ${dl.explain(vm.decode(cur))}`, pos, action: -1, node: spec.node, local, hi: h0, lo: l0 });
          }
          continue;
        }
        if (!expand) continue;
        transitions += n;
        let a = -1;
        for (let g = 0; g < succ.groups; g++) {
          const T = succ.group[g];
          for (let k = 0; k < T.deltas.length; k++) {
            a++;
            const msgs = T.messages[k];
            if (msgs !== null) {
              for (let t = 0; t < msgs.length; t++) {
                if (msgs[t] === null || transDone[t]) continue;
                transDone[t] = true;
                events.push({ property: transNames[t], kind: 'transition', message: msgs[t]!, pos, action: a, node: spec.node, local, hi: h0, lo: l0 });
              }
            }
            const d = T.deltas[k];
            nxt.set(cur);
            for (let j = 0; j < d.length; j += 2) nxt[d[j]] = d[j + 1];
            // The key from the parent's by the slots the step writes (Zobrist), as
            // expand-vectors.ts; with symmetry, the representative's, hashed whole.
            if (canonical === undefined) keyAfter(z, T, k, cur, h0, l0, fp);
            else {
              canonical(nxt, canon);
              z.full(canon, fp);
            }
            const kh = fp[0];
            const kl = fp[1];
            const hw = highWord(kh);
            const lw = lowWord(kl);
            if (this.sent.get(hw, lw) >= 0) continue;
            this.sent.set(hw, lw, 0);
            sink.length = 0;
            packVector(nxt, sink);
            const owner = partitionOf(kh, spec.nodes);
            if (owner === spec.node) this.owned.offer(kh >>> 0, kl >>> 0, pos, spec.node, local, a, sink.bytes, 0, sink.length);
            else {
              batches[owner].push(kh, kl, pos, local, a, sink.bytes, 0, sink.length);
              if (batches[owner].size >= BATCH_BYTES) await flush(owner);
            }
          }
        }
        if (performance.now() - lastYield >= YIELD_MS) {
          await new Promise<void>((r) => setImmediate(r));
          lastYield = performance.now();
        }
      }
      for (let k = 0; k < spec.nodes; k++) if (batches[k].count > 0) await flush(k);
      for (const p of pending) await Promise.all(p);
      if (failure !== undefined) throw failure;
    } catch (e) {
      // A node that did not take a batch in (send's error names it) ends the run as a lost node.
      const lostNode = (e as { lostNode?: number } | undefined)?.lostNode;
      if (lostNode !== undefined) return frame({ error: errorText(e), lostNode });
      return frame({ error: this.failureText(e, lv, i) });
    }
    return frame({ transitions, events, bytesSent: this.bytesSent, firstWithSuccessors, strings: vm.takeHashedStrings() });
  }

  /** What went wrong expanding state `i` of the level, as the search on one machine says it. */
  private failureText(e: unknown, lv: OwnedLevel, i: number): string {
    if (!(e instanceof Error) || i >= lv.count) return errorText(e);
    const vm = this.L.vector!;
    const vec = new Int32Array(vm.width);
    unpackVector(lv.bytes, lv.offsets[i], lv.offsets[i + 1], vec);
    const state = vm.decode(vec);
    if (e instanceof NotVectorizableError) {
      const f = immutableFailure(this.L, state);
      return f ?? `the cluster search runs on the vector engine, and the model reached a state without a fixed layout (${e.message}): check it on one machine (--engine immutable)`;
    }
    return immutableFailure(this.L, state) ?? (e instanceof ModelError ? e.message : locateMessage(this.L.model, state, undefined, e));
  }
}

