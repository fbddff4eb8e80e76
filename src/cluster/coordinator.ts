// The coordinator of a cluster search: the level-synchronous search of src/search/ with its
// levels spread over nodes that own hash partitions of the states (owned-states.ts). It
// holds no state of the search itself, only its figures and violations. Per level:
//  1. expand: every node expands its part of the level, sending each successor to its owner
//     (node-search.ts); it answers with its transitions, its first transition-property
//     failure and deadlock, and the bytes it sent;
//  2. settle: every owner orders its new states by (parent's position, action), checks their
//     invariants, and sends the order keys; the coordinator merges them (level-order.ts), so
//     each state's position is the one the search on one thread gives it;
//  3. report: the violations in (position, action) order under the rules of level-report.ts
//     (first of each property, deadlocks for the rest of the level, nothing past
//     --max-states' cut), the figures cut at the stopping point (nodes count the
//     transitions before it), each counterexample rebuilt across nodes (cluster-trace.ts);
//  4. adopt: each owner gets its states' positions, and the next level starts.
// So states, transitions, depth, verdict and counterexample equal the search's on one
// machine. Nodes that fall silent or vanish end the run within the silence allowed
// (node-watch.ts): incomplete, naming the node, with the figures of the levels completed.
import { randomBytes } from 'node:crypto';
import type { Model } from '../model/model.ts';
import { errorText } from '../model/errors.ts';
import type { CheckResult, CheckStats, Limit, Violation } from '../explore/result.ts';
import { collisionProbability, emptyStats, finalResult } from '../explore/result.ts';
import { peakRss } from '../explore/search-options.ts';
import type { StopRequest } from '../explore/stop-request.ts';
import { stopText, type StopReason } from '../explore/stop-request.ts';
import { validateState } from '../state/validate.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { loadedFrom, type Loaded } from '../search/loaded.ts';
import { modelIdentity } from '../search/model-identity.ts';
import { KEY_BITS, highWord, lowWord, partitionOf } from '../search/shared-seen-set.ts';
import { count } from '../trace/text.ts';
import { clusterTrace } from './cluster-trace.ts';
import { TooFewNodesError, gatherNodes, shipModel } from './gather-nodes.ts';
import { KeyTable } from './key-table.ts';
import { cutPoint, f64Order, keysBefore, mergeOrders, precedes, type StopPoint } from './level-order.ts';
import { shipment } from './model-shipment.ts';
import type { NodeEvent } from './node-search.ts';
import { NodeWatch } from './node-watch.ts';
import { ROOT_NODE } from './owned-states.ts';
import { NodeFailedError, NodeLostError, ask, connectCluster, subjects, type NatsConnection } from './transport.ts';
import { SuccessorBatch, frame, unframe, type Frame } from './wire.ts';
import { packVector } from '../state/packed.ts';
import { ByteSink } from '../state/codec.ts';

/** What a cluster run takes (check's options that a cluster honours). */
export interface ClusterOptions {
  readonly url: string;
  /** Nodes to wait for; undefined: those that join within a second of the first. */
  readonly nodes?: number;
  readonly joinTimeoutMs: number;
  /** A node silent this long is lost (ms). */
  readonly silentMs: number;
  readonly maxStates?: number;
  readonly maxDepth?: number;
  readonly allProperties?: boolean;
  readonly symmetry?: boolean;
  readonly stop: StopRequest;
  readonly timeLimitMs?: number;
  readonly progressIntervalMs?: number;
  /** A progress line (overall figures, then each node's rate and bytes sent per state). */
  readonly onProgress?: (line: string) => void;
}

/** Everything one cluster run holds on the coordinator. */
class ClusterRun {
  readonly t0 = performance.now();
  readonly violations: Violation[] = [];
  readonly violated = new Set<string>();
  readonly propertyNames: string[];
  /** Hashed strings the nodes met, to teach the others with the next request. */
  strings: string[] = [];
  readonly allStrings: string[] = [];
  distinct = 0;
  transitions = 0;
  depth = 0;
  peakFrontier = 0;
  levelSize = 0;
  ownedBytes = 0;
  limit?: Limit;
  limitReason = '';
  stopAfterLevel = false;
  watch?: NodeWatch;
  lost?: Promise<never>;

  constructor(
    readonly nc: NatsConnection,
    readonly run: string,
    readonly names: readonly string[],
    readonly model: Model<unknown, unknown>,
    readonly L: Loaded,
    readonly options: ClusterOptions,
  ) {
    this.propertyNames = model.properties.map((p) => p.name);
  }

  /** Sends request `header` (and `parts`) to node k; a lost node fails the whole run. */
  async ask(k: number, header: object, parts: readonly ArrayBufferView[] = []): Promise<Frame> {
    try {
      return await ask(this.nc, subjects.control(this.run, k), frame(header, parts), k, this.names[k]);
    } catch (e) {
      if (e instanceof NodeLostError) this.watch?.lose(e);
      throw e;
    }
  }

  /** `f` of every node, or the first node lost. */
  all<T>(f: (k: number) => Promise<T>): Promise<T[]> {
    return this.race(Promise.all(this.names.map((_, k) => f(k))));
  }

  /** `p`, or the first node lost. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.lost === undefined) return p;
    // Once a node is lost the requests still out may fail later (the connection drained):
    // nothing waits for them then, and an unhandled rejection would end the process.
    p.catch(() => undefined);
    return Promise.race([p, this.lost]);
  }

  /** The hashed strings to teach the nodes (once). */
  takeStrings(): string[] {
    const s = this.strings;
    this.strings = [];
    return s;
  }

  learn(strings: unknown): void {
    if (!Array.isArray(strings)) return;
    for (const x of strings as string[]) {
      this.strings.push(x);
      this.allStrings.push(x);
    }
  }

  record(v: Violation): void {
    this.violated.add(v.property);
    this.violations.push(v);
    if (!this.options.allProperties) this.stopAfterLevel = true;
  }

  stopWith(reason: Limit, why: string): void {
    this.limit = reason;
    this.limitReason = why;
  }

  bytesSent(): number {
    return this.watch?.figures.reduce((b, f) => b + f.bytesSent, 0) ?? 0;
  }

  stats(): CheckStats {
    const elapsedMs = performance.now() - this.t0;
    return {
      distinctStates: this.distinct,
      transitions: this.transitions,
      depth: this.depth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? (this.distinct * 1000) / elapsedMs : 0,
      peakMemoryBytes: peakRss(),
      seenSetBytesPerState: this.distinct > 0 ? this.ownedBytes / this.distinct : 0,
      peakFrontier: this.peakFrontier,
      collisionProbability: collisionProbability(this.distinct, KEY_BITS),
      fingerprintBits: KEY_BITS,
      workers: this.names.length,
      engine: 'vector',
      cluster: { nodes: this.names, bytesSent: this.bytesSent() },
      ...(this.allStrings.length > 0 ? { hashedStrings: [...this.allStrings] } : {}),
    };
  }

  result(): CheckResult {
    return finalResult(this.model.name, this.stats(), this.propertyNames, this.violations, this.limit, this.limitReason, this.options.allProperties ?? false);
  }
}

/**
 * Checks `model` (built from `file` with `params`) across the nodes of the NATS cluster at
 * `options.url`: the same answer as one machine, or incomplete when nodes are missing or lost.
 */
export async function clusterSearch(model: Model<unknown, unknown>, file: string, params: Readonly<Record<string, unknown>>, options: ClusterOptions): Promise<CheckResult> {
  const symmetry = options.symmetry ?? false;
  const failed = (message: string): CheckResult => ({ status: 'error', model: model.name, stats: emptyStats(0, 'vector', peakRss()), error: { message } });
  const incomplete = (limit: Limit, reason: string): CheckResult => ({ status: 'incomplete', model: model.name, stats: emptyStats(0, 'vector', peakRss()), properties: model.properties.map((p) => p.name), limit, reason, violations: [] });
  let L: Loaded;
  try {
    L = loadedFrom(model, { file, params, engine: 'vector', reduction: { symmetry } });
  } catch (e) {
    return failed(`a cluster run searches on the vector engine, and model '${model.name}' has no vector form: ${errorText(e)}`);
  }
  const identity = modelIdentity(L);
  const ship = await shipment(file);
  const run = randomBytes(6).toString('hex');
  let nc: NatsConnection;
  try {
    nc = await connectCluster(options.url, `mmcheck coordinator ${process.pid}`);
  } catch (e) {
    return incomplete('node-lost', errorText(e));
  }
  let names: string[];
  try {
    names = await gatherNodes(nc, run, model.name, options.url, options.nodes, options.joinTimeoutMs);
  } catch (e) {
    // The nodes that joined go back to waiting for a run.
    nc.publish(subjects.coordinator(run), frame({ op: 'end', why: 'ended: too few nodes joined' }));
    await nc.drain().catch(() => undefined);
    if (e instanceof TooFewNodesError) return incomplete('node-lost', e.message);
    throw e;
  }
  const r = new ClusterRun(nc, run, names, model, L, options);
  const watch = (r.watch = new NodeWatch(names, options.silentMs, (k) => ask(nc, subjects.control(run, k), frame({ op: 'ping' }), k, names[k], 2000)));
  const beats = nc.subscribe(subjects.beat(run), {
    callback: (_err, m) => {
      const h = unframe(m.data).header as { node: number; expanded: number; bytesSent: number; owned: number };
      watch.beat(h.node, h);
    },
  });
  r.lost = watch.start();
  const coordinatorBeat = setInterval(() => nc.publish(subjects.coordinator(run), frame({ op: 'beat' })), 1000);
  const timer = options.timeLimitMs !== undefined && Number.isFinite(options.timeLimitMs) ? setTimeout(() => options.stop.request('time-limit'), options.timeLimitMs) : undefined;
  const line = progressLines(r);
  const progress = options.onProgress !== undefined ? setInterval(() => options.onProgress!(line()), options.progressIntervalMs ?? 5000) : undefined;
  let end = 'ended';
  try {
    await r.race(shipModel(nc, run, names, ship, { file, params, symmetry }, identity));
    await searchLevels(r);
    return r.result();
  } catch (e) {
    if (e instanceof NodeLostError) {
      end = 'ended: a node was lost';
      r.stopWith('node-lost', `${e.message}; the run cannot go on without the states it owns (figures of the levels completed)`);
      return r.result();
    }
    end = 'ended: it failed';
    if (e instanceof NodeFailedError) return { status: 'error', model: model.name, stats: r.stats(), error: { message: e.message } };
    return { status: 'error', model: model.name, stats: r.stats(), error: { message: errorText(e), stack: (e as Error)?.stack } };
  } finally {
    watch.stop();
    clearInterval(coordinatorBeat);
    if (timer !== undefined) clearTimeout(timer);
    if (progress !== undefined) clearInterval(progress);
    nc.publish(subjects.coordinator(run), frame({ op: 'end', why: end }));
    beats.unsubscribe();
    await nc.drain().catch(() => undefined);
  }
}

/**
 * Progress lines: the run's figures, then each node's rate since the last line (states it
 * expanded a second) and the bytes it has sent per state it expanded.
 */
function progressLines(r: ClusterRun): () => string {
  let last = { at: performance.now(), expanded: r.names.map(() => 0) };
  return () => {
    const now = performance.now();
    const figures = r.watch!.figures;
    const dt = Math.max(1, now - last.at) / 1000;
    const nodes = figures.map((f, k) => `node ${k} ${count((f.expanded - last.expanded[k]) / dt)} states/s, ${(f.expanded > 0 ? f.bytesSent / f.expanded : 0).toFixed(1)} B sent/state`).join('; ');
    last = { at: now, expanded: figures.map((f) => f.expanded) };
    return `progress: ${((now - r.t0) / 1000).toFixed(1)} s, ${count(r.distinct)} distinct states, ${count(r.transitions)} transitions, depth ${r.depth}; ${nodes}\n`;
  };
}

/** Level 0, then every level until done, a violation, or a limit. */
async function searchLevels(r: ClusterRun): Promise<void> {
  await initialLevel(r);
  while (r.levelSize > 0 && !r.stopAfterLevel && r.limit === undefined) {
    const reason = r.options.stop.reason;
    if (reason !== undefined) return stopFor(r, reason);
    if (!(await searchLevel(r))) return;
  }
}

function stopFor(r: ClusterRun, reason: StopReason): void {
  r.stopWith(reason, stopText(reason, r.options.timeLimitMs, () => 'memory budget reached'));
}

/** The initial states: keyed and deduplicated here, sent to their owners, ordered as initStates() gives them. */
async function initialLevel(r: ClusterRun): Promise<void> {
  const { model, L, names, options } = r;
  const vm = L.vector!;
  const inits = model.initStates();
  const vec = new Int32Array(vm.width);
  const fp = new Uint32Array(2);
  const sink = new ByteSink(1 << 12);
  const seen = new KeyTable();
  const batches = names.map(() => new SuccessorBatch(ROOT_NODE));
  let kept = 0;
  for (let i = 0; i < inits.length; i++) {
    validateState(inits[i]);
    try {
      vm.encode(inits[i], vec);
    } catch (e) {
      if (e instanceof NotVectorizableError) throw new Error(`a cluster run searches on the vector engine, and an initial state has no fixed layout: ${e.message}`);
      throw e;
    }
    r.L.keyOf(inits[i], fp);
    if (seen.get(highWord(fp[0]), lowWord(fp[1])) >= 0) continue;
    if (options.maxStates !== undefined && kept >= options.maxStates) {
      r.stopWith('max-states', `max states ${options.maxStates} reached`);
      break;
    }
    seen.set(highWord(fp[0]), lowWord(fp[1]), 0);
    // The key of a frontier state is its own fingerprint (the successors' are computed from
    // it) unless symmetry makes it the representative's (then successors are hashed whole).
    if (vm.canonical === undefined) L.zobrist!.full(vec, fp);
    sink.length = 0;
    packVector(vec, sink);
    batches[partitionOf(fp[0], names.length)].push(fp[0], fp[1], kept, 0, i, sink.bytes, 0, sink.length);
    kept++;
  }
  await r.all((k) => r.ask(k, { op: 'init' }, [batches[k].take()]));
  const settled = await settleLevel(r);
  r.distinct = r.levelSize = kept;
  r.peakFrontier = kept;
  // Invariants of the initial states: every property's first failure, in order.
  for (const ev of sortEvents(settled.events)) {
    if (r.violated.has(ev.property)) continue;
    r.record({ property: ev.property, kind: ev.kind, message: ev.message, trace: await clusterTrace(r.nc, r.run, names, model, L.keyOf, ev) });
  }
  await r.all((k) => r.ask(k, { op: 'adopt' }, [settled.positions[k]]));
}

interface Settled {
  readonly events: NodeEvent[];
  readonly positions: Uint32Array[];
  readonly keys: Float64Array;
}

/** Every owner's new states ordered and their invariants checked; the level's order merged. */
async function settleLevel(r: ClusterRun): Promise<Settled> {
  const skip = [...r.violated];
  const strings = r.takeStrings();
  const replies = await r.all((k) => r.ask(k, { op: 'settle', skip, strings }));
  const events: NodeEvent[] = [];
  r.ownedBytes = 0;
  for (const f of replies) {
    events.push(...(f.header.events as NodeEvent[]));
    r.learn(f.header.strings);
    r.ownedBytes += Number(f.header.bytes ?? 0);
  }
  const merged = mergeOrders(replies.map((f) => f64Order(f.payload, Number(f.header.count))));
  return { events, positions: merged.positions, keys: merged.keys };
}

/** Events in the level's order: (position, action), a transition's before an invariant's. */
function sortEvents(events: NodeEvent[]): NodeEvent[] {
  const kind = (e: NodeEvent) => (e.kind === 'invariant' ? 1 : 0);
  return events.sort((x, y) => x.pos - y.pos || x.action - y.action || kind(x) - kind(y));
}

/** One level expanded, settled and reported; false when the search ends without counting it (the depth bound). */
async function searchLevel(r: ClusterRun): Promise<boolean> {
  const { options, names } = r;
  const expand = !(options.maxDepth !== undefined && r.depth >= options.maxDepth);
  const skip = [...r.violated];
  const strings = r.takeStrings();
  // A stop request (time, Ctrl-C) reaches the nodes at once: the level under way is dropped.
  const stopWatch = setInterval(() => {
    if (options.stop.reason !== undefined) for (let k = 0; k < names.length; k++) void r.ask(k, { op: 'stop' }).catch(() => undefined);
  }, 100);
  let expanded: Frame[];
  try {
    expanded = await r.all((k) => r.ask(k, { op: 'expand', expand, skip, strings }));
  } finally {
    clearInterval(stopWatch);
  }
  const events: NodeEvent[] = [];
  let levelTransitions = 0;
  let firstWithSuccessors = Infinity;
  for (let k = 0; k < expanded.length; k++) {
    const h = expanded[k].header;
    if (typeof h.lostNode === 'number') throw new NodeLostError(h.lostNode, `node ${names[h.lostNode]} stopped taking batches in (${String(h.error)})`);
    if (typeof h.error === 'string') throw new NodeFailedError(k, h.error);
    if (h.stopped === true) {
      stopFor(r, options.stop.reason ?? 'interrupted');
      return false;
    }
    levelTransitions += Number(h.transitions);
    events.push(...(h.events as NodeEvent[]));
    r.learn(h.strings);
    if (Number(h.firstWithSuccessors) >= 0) firstWithSuccessors = Math.min(firstWithSuccessors, Number(h.firstWithSuccessors));
  }
  const settled = await settleLevel(r);
  events.push(...settled.events);
  const newStates = settled.keys.length;
  // --max-states N stores at most N states: the transition that finds an (N+1)-th ends the search.
  const cut = options.maxStates !== undefined ? cutPoint(settled.keys, options.maxStates - r.distinct) : undefined;
  const stopPos = await recordViolations(r, sortEvents(events), cut);
  let stop: StopPoint | undefined = stopPos >= 0 ? { pos: stopPos + 1, action: 0 } : undefined;
  if (cut !== undefined && (stop === undefined || precedes(cut.pos, cut.action, stop))) stop = cut;
  let levelNew = newStates;
  if (stop !== undefined) {
    const at = stop;
    levelTransitions = expand ? (await r.all((k) => r.ask(k, { op: 'count', pos: at.pos, action: at.action }))).reduce((n, f) => n + Number(f.header.transitions), 0) : 0;
    levelNew = keysBefore(settled.keys, stop);
  }
  r.transitions += levelTransitions;
  r.distinct += levelNew;
  if (!expand && firstWithSuccessors < (stop?.pos ?? Infinity)) {
    r.stopWith('max-depth', `max depth ${options.maxDepth} reached`);
    return false;
  }
  if (levelNew > 0) r.depth++;
  if (cut !== undefined) r.stopWith('max-states', `max states ${options.maxStates} reached`);
  if (r.stopAfterLevel || r.limit !== undefined) return false;
  await r.all((k) => r.ask(k, { op: 'adopt' }, [settled.positions[k]]));
  r.levelSize = newStates;
  r.peakFrontier = Math.max(r.peakFrontier, newStates);
  return true;
}

/**
 * Records the level's violations in order (level-report.ts's rules); returns the position of
 * the state whose violation ends the search with this level, or -1.
 */
async function recordViolations(r: ClusterRun, events: readonly NodeEvent[], cut: StopPoint | undefined): Promise<number> {
  let stopPos = -1;
  for (const ev of events) {
    if (cut !== undefined && !precedes(ev.pos, ev.action, cut)) continue;
    if (r.violated.has(ev.property)) continue;
    if (stopPos >= 0 && ev.pos > stopPos && ev.kind !== 'deadlock') continue;
    const at = { node: ev.node, local: ev.local };
    const last = { hi: ev.hi, lo: ev.lo };
    const trace = ev.kind === 'transition' ? await clusterTrace(r.nc, r.run, r.names, r.model, r.L.keyOf, at, ev.action) : await clusterTrace(r.nc, r.run, r.names, r.model, r.L.keyOf, at, undefined, last);
    r.record({ property: ev.property, kind: ev.kind, message: ev.message, trace });
    if (r.stopAfterLevel && stopPos < 0) stopPos = ev.pos;
  }
  return stopPos;
}
