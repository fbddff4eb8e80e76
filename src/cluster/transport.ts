// The cluster's transport: a connection to the NATS server, the subjects a run uses, and a
// request to one node that turns silence into a lost node (core NATS request/reply only; no
// JetStream: nothing is stored on the server).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { unframe, type Frame } from './wire.ts';

export type { NatsConnection };

/** Where idle nodes hear of runs that want nodes. */
export const OFFER_SUBJECT = 'mmcheck.offer';

/** The subjects of run `run` (and of its node `k`). */
export const subjects = {
  /** A node asks to join the run here. */
  join: (run: string) => `mmcheck.run.${run}.join`,
  /** Nodes' heartbeats (with their figures). */
  beat: (run: string) => `mmcheck.run.${run}.beat`,
  /** The coordinator's heartbeats, and its word that the run is over. */
  coordinator: (run: string) => `mmcheck.run.${run}.coordinator`,
  /** Requests from the coordinator to node k. */
  control: (run: string, k: number) => `mmcheck.run.${run}.node.${k}.control`,
  /** Batches of successors node k owns. */
  states: (run: string, k: number) => `mmcheck.run.${run}.node.${k}.states`,
};

/** Requests that may take a whole level wait this long; silence is caught sooner by heartbeats (node-watch.ts). */
export const LONG_REQUEST_MS = 24 * 3600 * 1000;

/** A node that stopped answering: the run ends (exit 3) naming it. */
export class NodeLostError extends Error {
  constructor(
    readonly node: number,
    message: string,
  ) {
    super(message);
  }
}

/** A node's own failure (its model, or a request it could not serve), as it said it. */
export class NodeFailedError extends Error {
  constructor(
    readonly node: number,
    message: string,
  ) {
    super(message);
  }
}

/** A URL mmcheck connects to: nats://HOST:PORT (tls:// too); throws with what is wrong. */
export function clusterUrl(url: string): string {
  if (!/^(nats|tls):\/\/[^\s/:]+(:\d{1,5})?\/?$/.test(url)) throw new Error(`--cluster wants nats://HOST:PORT (the NATS server the nodes reach), got '${url.length > 80 ? url.slice(0, 80) + '…' : url}'`);
  return url;
}

/** Connects to the NATS server at `url`; throws one line saying it cannot be reached. */
export async function connectCluster(url: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, name, timeout: 5000, maxReconnectAttempts: 10, reconnectTimeWait: 500 });
  } catch (e) {
    throw new Error(`cannot reach the NATS server at ${url}: ${(e as Error).message} (start one with 'nats-server -p PORT', or name a reachable one)`);
  }
}

/**
 * Sends request `data` to node `k` on `subject` and returns its answer; throws NodeLostError
 * when no one answers (the node is gone: NATS says so at once) or the answer does not come in
 * `timeoutMs`, NodeFailedError when the node answers with its failure.
 */
export async function ask(nc: NatsConnection, subject: string, data: Uint8Array, k: number, name: string, timeoutMs = LONG_REQUEST_MS): Promise<Frame> {
  let reply: Uint8Array;
  try {
    reply = (await nc.request(subject, data, { timeout: timeoutMs })).data;
  } catch (e) {
    throw new NodeLostError(k, `node ${name} does not answer (${(e as Error).message})`);
  }
  const f = unframe(reply);
  if (typeof f.header.failed === 'string') throw new NodeFailedError(k, f.header.failed);
  return f;
}
