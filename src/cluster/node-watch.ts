// Fault detection: each node of a run sends a heartbeat (with its figures) every BEAT_MS; the
// coordinator's watch fails the run with NodeLostError when one is silent for longer than
// the silence allowed — a node that died, hung, or lost its network — instead of waiting for
// it forever. Its figures also make the progress lines (per-node rate and bytes per state).
import { NodeLostError } from './transport.ts';

/** How often a node sends its heartbeat (ms). */
export const BEAT_MS = 500;

/** A node whose heartbeat is this many beats late is asked whether it is still there. */
const PROBE_AFTER_BEATS = 2.5;

/** A node's figures as its last heartbeat gave them. */
export interface NodeFigures {
  /** States it expanded, and when (ms, performance.now() of the coordinator). */
  expanded: number;
  bytesSent: number;
  owned: number;
  heardAt: number;
}

/** The heartbeats of a run's nodes. */
export class NodeWatch {
  readonly figures: NodeFigures[];
  private timer?: ReturnType<typeof setInterval>;
  private failed?: NodeLostError;
  private onLost?: (e: NodeLostError) => void;

  /** Nodes being asked whether they are still there. */
  private readonly probing = new Set<number>();

  /**
   * @param probe asks node k whether it is there (a request NATS answers at once with "no
   * responders" when the node is gone); rejects with NodeLostError when it is not
   */
  constructor(
    readonly names: readonly string[],
    private readonly silentMs: number,
    private readonly probe?: (k: number) => Promise<unknown>,
  ) {
    const now = performance.now();
    this.figures = names.map(() => ({ expanded: 0, bytesSent: 0, owned: 0, heardAt: now }));
  }

  /** A heartbeat from node `k`. */
  beat(k: number, f: { expanded: number; bytesSent: number; owned: number }): void {
    const x = this.figures[k];
    if (x === undefined) return;
    x.expanded = f.expanded;
    x.bytesSent = f.bytesSent;
    x.owned = f.owned;
    x.heardAt = performance.now();
  }

  /** Starts watching; the returned promise rejects when a node falls silent (never resolves). */
  start(): Promise<never> {
    const lost = new Promise<never>((_, reject) => {
      this.onLost = reject;
    });
    lost.catch(() => undefined);
    this.timer = setInterval(() => this.check(), Math.min(250, this.silentMs / 4));
    return lost;
  }

  /** Fails the run for node `k` (a request to it found no one). */
  lose(e: NodeLostError): void {
    if (this.failed !== undefined) return;
    this.failed = e;
    this.onLost?.(e);
  }

  private check(): void {
    const now = performance.now();
    this.figures.forEach((f, k) => {
      const quiet = now - f.heardAt;
      if (quiet > this.silentMs) this.lose(new NodeLostError(k, `node ${this.names[k]} stopped answering: no heartbeat for ${(quiet / 1000).toFixed(1)} s`));
      else if (quiet > PROBE_AFTER_BEATS * BEAT_MS && this.probe !== undefined && !this.probing.has(k)) {
        // A heartbeat late: a node that died is known at once by the server (no one
        // subscribes to its subject any more); a busy or slow one answers, or stays silent
        // until the silence allowed is over.
        this.probing.add(k);
        this.probe(k).then(
          () => this.probing.delete(k),
          (e) => {
            this.probing.delete(k);
            if (e instanceof NodeLostError && /no responders/i.test(e.message)) this.lose(new NodeLostError(k, `node ${this.names[k]} is gone: its heartbeats stopped and NATS has no one on its subject any more`));
          },
        );
      }
    });
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
