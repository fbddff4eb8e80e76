// A swarm job on a cluster node (`mmcheck swarm --cluster`): run in slices with the node's
// messages and heartbeats between them, stopped when the coordinator says so.
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { Loaded } from '../search/loaded.ts';
import { CONTROL_WORDS, SwarmJob, type SwarmJobReport, type SwarmJobSpec } from './swarm-job.ts';
import { swarmSpace } from './swarm-space.ts';

/** A node lets its timers and messages run at least this often (ms). */
const SLICE_MS = 50;
/** States a slice runs before it looks at the clock. */
const SLICE_STATES = 2048;

/** Runs job `spec` on this node's model `L` to its end, or until `stopping()` says so. */
export async function runNodeJob(L: Loaded, spec: SwarmJobSpec, stopping: () => boolean): Promise<SwarmJobReport> {
  const stop = new SharedArrayBuffer(4);
  const job = new SwarmJob(swarmSpace(L), spec, new SharedArrayBuffer(4 * CONTROL_WORDS), stop);
  if (stopping()) Atomics.store(new Int32Array(stop), 0, 1);
  for (;;) {
    const t = performance.now();
    while (performance.now() - t < SLICE_MS) if (job.run(SLICE_STATES)) return job.report();
    await yieldToEvents();
    if (stopping()) Atomics.store(new Int32Array(stop), 0, 1);
  }
}
