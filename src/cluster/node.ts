// `mmcheck node`: a search node. It connects to the NATS server, answers the offers of runs
// that want nodes, and for each run it joins: receives the model (model-shipment.ts), builds
// it and proves it is the coordinator's, then serves the coordinator's requests and the
// other nodes' batches (node-search.ts), sending a heartbeat every BEAT_MS. A run ends when
// the coordinator says so, or when the coordinator falls silent (the node drops the run and
// waits for the next). It prints one status line per change, nothing else.
import { hostname } from 'node:os';
import { errorText } from '../model/errors.ts';
import { BEAT_MS } from './node-watch.ts';
import type { NodeRun, RunSpec } from './node-search.ts';
import { ShipmentReceiver } from './model-shipment.ts';
import { OFFER_SUBJECT, connectCluster, subjects, type NatsConnection } from './transport.ts';
import { WIRE_VERSION, frame, unframe, type Frame } from './wire.ts';

/** A node drops a run whose coordinator it has not heard from for this long (ms). */
const COORDINATOR_SILENT_MS = 15_000;

/** What `mmcheck node` takes. */
export interface NodeOptions {
  readonly url: string;
  /** Leave after one run (a Kubernetes Job's pod). */
  readonly once?: boolean;
  /** Its status lines. */
  readonly status: (line: string) => void;
  /** Ends the node (Ctrl-C). */
  readonly signal?: AbortSignal;
}

type Subscription = ReturnType<NatsConnection['subscribe']>;

/** One run this node serves. */
interface Served {
  readonly run: string;
  readonly subs: Subscription[];
  readonly beat: ReturnType<typeof setInterval>;
  node?: number;
  search?: NodeRun;
  heardAt: number;
}

/** Runs a node until it is stopped (or, with `once`, after one run). Returns the exit code. */
export async function runNode(opts: NodeOptions): Promise<number> {
  const name = `${hostname()}:${process.pid}`;
  const nc = await connectCluster(opts.url, `mmcheck node ${name}`);
  opts.status(`node ${name}: connected to ${opts.url}, waiting for a run`);
  let served: Served | undefined;
  let runs = 0;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((r) => (finish = r));

  const drop = (why: string) => {
    const s = served;
    if (s === undefined) return;
    served = undefined;
    clearInterval(s.beat);
    s.search?.stop();
    for (const sub of s.subs) sub.unsubscribe();
    opts.status(`node ${name}: run ${s.run} ${why}${opts.once ? '' : '; waiting for a run'}`);
    runs++;
    if (opts.once) finish(0);
  };

  const join = async (offer: Frame) => {
    const run = String(offer.header.run);
    if (served !== undefined || (opts.once && runs > 0)) return;
    const subs: Subscription[] = [];
    const s: Served = { run, subs, heardAt: performance.now(), beat: setInterval(() => beat(), BEAT_MS) };
    served = s;
    const beat = () => {
      if (performance.now() - s.heardAt > COORDINATOR_SILENT_MS) return drop(`dropped: its coordinator fell silent`);
      if (s.node === undefined) return;
      nc.publish(subjects.beat(run), frame({ node: s.node, ...(s.search?.progress() ?? { expanded: 0, bytesSent: 0, owned: 0 }) }));
    };
    subs.push(
      nc.subscribe(subjects.coordinator(run), {
        callback: (_err, m) => {
          s.heardAt = performance.now();
          const h = unframe(m.data).header;
          if (h.op === 'end') drop(String(h.why ?? 'ended'));
        },
      }),
    );
    let answer: Frame;
    try {
      answer = unframe((await nc.request(subjects.join(run), frame({ name, version: WIRE_VERSION }), { timeout: 5000 })).data);
    } catch {
      answer = { header: { accepted: false }, payload: new Uint8Array(0) };
    }
    if (answer.header.accepted !== true || served !== s) {
      if (served === s) {
        served = undefined;
        clearInterval(s.beat);
        for (const sub of subs) sub.unsubscribe();
      }
      return;
    }
    const k = Number(answer.header.node);
    s.node = k;
    opts.status(`node ${name}: joined run ${run} of model '${String(offer.header.model)}' as node ${k}`);
    const receiver = new ShipmentReceiver();
    subs.push(
      nc.subscribe(subjects.states(run, k), {
        callback: (_err, m) => {
          try {
            s.search?.batch(m.data);
            m.respond(frame({}));
          } catch (e) {
            m.respond(frame({ failed: errorText(e) }));
          }
        },
      }),
      nc.subscribe(subjects.control(run, k), {
        callback: (_err, m) => {
          s.heardAt = performance.now();
          void control(s, receiver, unframe(m.data))
            .then((reply) => m.respond(reply))
            .catch((e) => m.respond(frame({ failed: errorText(e) })));
        },
      }),
    );
  };

  const control = async (s: Served, receiver: ShipmentReceiver, f: Frame): Promise<Uint8Array> => {
    const h = f.header;
    if (h.op === 'ping') return frame({});
    if (h.op !== 'load') {
      if (s.search === undefined) throw new Error('no model loaded');
      return s.search.control(f);
    }
    if (!receiver.add(Number(h.chunk), Number(h.chunks), f.payload)) return frame({});
    const spec = h.spec as RunSpec;
    s.search = await receiver.open(String(h.digest), spec, async (k, data) => {
      let reply: Uint8Array;
      try {
        reply = (await nc.request(subjects.states(s.run, k), data, { timeout: 30_000 })).data;
      } catch (e) {
        throw Object.assign(new Error(`node ${k} did not take a batch in (${(e as Error).message})`), { lostNode: k });
      }
      const failed = unframe(reply).header.failed;
      if (typeof failed === 'string') throw new Error(failed);
    });
    opts.status(`node ${name}: run ${s.run}: model '${spec.file.split('/').pop()}' built, node ${spec.node} of ${spec.nodes}`);
    return frame({ identity: s.search.identity });
  };

  // A connection closed for good (the server gone past the reconnection attempts) ends the node.
  void nc.closed().then((e) => {
    opts.status(`node ${name}: lost the NATS server at ${opts.url}${e ? ` (${e.message})` : ''}`);
    finish(3);
  });
  const offers = nc.subscribe(OFFER_SUBJECT, { callback: (_err, m) => void join(unframe(m.data)).catch(() => undefined) });
  const onAbort = () => finish(0);
  opts.signal?.addEventListener('abort', onAbort);
  const code = await finished;
  opts.signal?.removeEventListener('abort', onAbort);
  offers.unsubscribe();
  drop('left: the node stopped');
  if (!nc.isClosed()) await nc.close();
  return code;
}
