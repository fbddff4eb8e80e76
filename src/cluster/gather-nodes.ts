// The start of a cluster run on the coordinator: offer the run until enough nodes join (or
// say why not in time), ship each the model bundle and its parameters, and check that each
// built the coordinator's model (model-identity.ts): a node that built another is a model
// error (exit 2) naming the node and the first difference, never a count.
import { identityMismatch } from '../search/model-identity.ts';
import type { ModelIdentity } from '../search/protocol.ts';
import type { Shipment } from './model-shipment.ts';
import type { RunSpec } from './node-search.ts';
import { NodeFailedError, OFFER_SUBJECT, ask, subjects, type NatsConnection } from './transport.ts';
import { WIRE_VERSION, frame, unframe } from './wire.ts';

/** How often the run is offered while nodes are awaited (ms). */
const OFFER_MS = 300;
/** Without --nodes: after the first node joins, the others that answer within this long join too (ms). */
const GATHER_MS = 1000;

/** Too few nodes joined in time: the run ends incomplete (exit 3). */
export class TooFewNodesError extends Error {}

/** Offers run `run` until `wanted` nodes joined (or, without, those that come within GATHER_MS of the first); returns their names. */
export async function gatherNodes(nc: NatsConnection, run: string, model: string, url: string, wanted: number | undefined, timeoutMs: number): Promise<string[]> {
  const names: string[] = [];
  const t0 = performance.now();
  let firstAt = 0;
  const joins = nc.subscribe(subjects.join(run), {
    callback: (_err, m) => {
      const h = unframe(m.data).header;
      const full = wanted !== undefined ? names.length >= wanted : firstAt > 0 && performance.now() - firstAt > GATHER_MS;
      if (full || h.version !== WIRE_VERSION) {
        m.respond(frame({ accepted: false }));
        return;
      }
      if (names.length === 0) firstAt = performance.now();
      m.respond(frame({ accepted: true, node: names.length }));
      names.push(String(h.name));
    },
  });
  try {
    for (;;) {
      nc.publish(OFFER_SUBJECT, frame({ run, model, wanted: wanted ?? null }));
      await new Promise((r) => setTimeout(r, OFFER_MS));
      if (wanted !== undefined ? names.length >= wanted : firstAt > 0 && performance.now() - firstAt > GATHER_MS) return names.slice(0, wanted ?? names.length);
      if (performance.now() - t0 > timeoutMs) {
        const want = wanted !== undefined ? `${wanted} node${wanted === 1 ? '' : 's'}` : 'a node';
        throw new TooFewNodesError(
          `waited ${(timeoutMs / 1000).toFixed(0)} s for ${want} on ${url}: ${names.length} joined (start nodes with 'mmcheck node --cluster ${url}'; --join-timeout waits longer)`,
        );
      }
    }
  } finally {
    joins.unsubscribe();
  }
}

/** Ships the model to every node and checks each built the coordinator's model; throws NodeFailedError naming the node otherwise. */
export async function shipModel(nc: NatsConnection, run: string, names: readonly string[], ship: Shipment, spec: Omit<RunSpec, 'node' | 'nodes'>, identity: ModelIdentity): Promise<void> {
  await Promise.all(
    names.map(async (name, k) => {
      const full: RunSpec = { ...spec, node: k, nodes: names.length };
      let reply;
      for (let c = 0; c < ship.chunks.length; c++) {
        reply = await ask(nc, subjects.control(run, k), frame({ op: 'load', chunk: c, chunks: ship.chunks.length, digest: ship.digest, spec: full }, [ship.chunks[c]]), k, name, 120_000);
      }
      const theirs = reply!.header.identity as ModelIdentity;
      const why = identityMismatch(identity, theirs);
      if (why !== null) throw new NodeFailedError(k, why.replace('a worker thread built', `node ${name} built`).replace('the main thread has', 'the coordinator has').replace('where the worker has', 'where the node has'));
    }),
  );
}
