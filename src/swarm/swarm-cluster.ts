// A swarm on the nodes of a cluster (`mmcheck swarm MODEL --cluster nats://HOST:PORT`): the
// nodes join and get the model as for a cluster search (src/cluster/: gather-nodes.ts,
// model-shipment.ts, the identity check), then each takes jobs one at a time from the
// coordinator's queue and answers with the job's report (swarm-node.ts). The first
// counterexample reported stops the queue and the jobs under way; it is replayed here on the
// model as on one machine (swarm-run.ts). A node that dies or falls silent ends the swarm
// with the jobs done so far, incomplete, naming the node.
import { randomBytes, randomInt } from 'node:crypto';
import type { Model } from '../model/model.ts';
import { errorText } from '../model/errors.ts';
import { loadedFrom } from '../search/loaded.ts';
import { modelIdentity } from '../search/model-identity.ts';
import { TooFewNodesError, gatherNodes, shipModel } from '../cluster/gather-nodes.ts';
import { shipment } from '../cluster/model-shipment.ts';
import { NodeWatch } from '../cluster/node-watch.ts';
import { NodeFailedError, NodeLostError, ask, connectCluster, subjects, type NatsConnection } from '../cluster/transport.ts';
import { frame, unframe } from '../cluster/wire.ts';
import type { SwarmJobReport } from './swarm-job.ts';
import { swarmSpecs, verdict, type SwarmOptions, type SwarmResult } from './swarm-run.ts';

/** Where the nodes are, and how long to wait for them. */
export interface SwarmClusterOptions {
  readonly url: string;
  /** Nodes to wait for; undefined: those that join within a second of the first. */
  readonly nodes?: number;
  readonly joinTimeoutMs: number;
  /** A node silent this long is lost (ms). */
  readonly silentMs: number;
}

/** Runs the swarm `o` on the cluster's nodes. */
export async function clusterSwarm(model: Model<unknown, unknown>, file: string, params: Readonly<Record<string, unknown>>, o: SwarmOptions, c: SwarmClusterOptions): Promise<SwarmResult> {
  const t0 = performance.now();
  const failed = (message: string): SwarmResult => ({ status: 'error', model: model.name, message });
  let identity;
  try {
    identity = modelIdentity(loadedFrom(model, { file, params, engine: 'vector' }));
  } catch (e) {
    return failed(`a cluster swarm runs on the vector engine, and model '${model.name}' has no vector form: ${errorText(e)}`);
  }
  const ship = await shipment(file);
  const run = randomBytes(6).toString('hex');
  const seed = o.seed ?? randomInt(1, 2 ** 31 - 1);
  const reports: SwarmJobReport[] = [];
  // Incomplete (exit 3) with the jobs done so far.
  const cut = (reason: string): SwarmResult => {
    reports.sort((a, b) => a.spec.index - b.spec.index);
    const done = verdict(model, 'vector', seed, reports, o, performance.now() - t0, -1);
    return done.status === 'error' ? done : { ...done, status: 'incomplete', reason };
  };
  let nc: NatsConnection;
  try {
    nc = await connectCluster(c.url, `mmcheck swarm ${process.pid}`);
  } catch (e) {
    return cut(errorText(e));
  }
  let names: string[] = [];
  let end = 'ended';
  let watch: NodeWatch | undefined;
  let beats: ReturnType<NatsConnection['subscribe']> | undefined;
  const coordinatorBeat = setInterval(() => nc.publish(subjects.coordinator(run), frame({ op: 'beat' })), 1000);
  try {
    names = await gatherNodes(nc, run, model.name, c.url, c.nodes, c.joinTimeoutMs);
    const w = (watch = new NodeWatch(names, c.silentMs, (k) => ask(nc, subjects.control(run, k), frame({ op: 'ping' }), k, names[k], 2000)));
    beats = nc.subscribe(subjects.beat(run), { callback: (_err, m) => w.beat(unframe(m.data).header.node as number, unframe(m.data).header as never) });
    const lost = w.start();
    await Promise.race([shipModel(nc, run, names, ship, { file, params, symmetry: false }, identity), lost]);
    const queue = swarmSpecs(o, seed);
    let winner = -1;
    const stopAll = () => names.forEach((_, k) => void ask(nc, subjects.control(run, k), frame({ op: 'stop' }), k, names[k], 2000).catch(() => undefined));
    const onStop = setInterval(() => {
      if (o.stop.reason !== undefined) {
        clearInterval(onStop);
        stopAll();
      }
    }, 100);
    // Each node takes the next job when it is done with one.
    const serve = async (k: number) => {
      while (queue.length > 0 && winner < 0 && o.stop.reason === undefined) {
        const spec = queue.shift()!;
        const reply = await ask(nc, subjects.control(run, k), frame({ op: 'swarm', spec }), k, names[k]);
        const report = reply.header.report as SwarmJobReport;
        reports.push(report);
        o.onJob?.(report);
        if (report.violation !== undefined && winner < 0) {
          winner = report.spec.index;
          stopAll();
        }
      }
    };
    try {
      await Promise.race([Promise.all(names.map((_, k) => serve(k))), lost]);
    } finally {
      clearInterval(onStop);
    }
    reports.sort((a, b) => a.spec.index - b.spec.index);
    return verdict(model, 'vector', seed, reports, o, performance.now() - t0, winner);
  } catch (e) {
    if (e instanceof TooFewNodesError) {
      end = 'ended: too few nodes joined';
      return cut(e.message);
    }
    if (e instanceof NodeLostError) {
      end = 'ended: a node was lost';
      return cut(`${e.message}: the swarm stopped with ${reports.length} job${reports.length === 1 ? '' : 's'} done`);
    }
    end = 'ended: it failed';
    if (e instanceof NodeFailedError) return failed(e.message);
    return failed(errorText(e));
  } finally {
    watch?.stop();
    beats?.unsubscribe();
    clearInterval(coordinatorBeat);
    nc.publish(subjects.coordinator(run), frame({ op: 'end', why: end }));
    await nc.drain().catch(() => undefined);
  }
}
