// A swarm job as a worker thread runs it: the model imported and proven to be the main
// thread's (imported-model.ts), then the job; model code that throws becomes the job's error,
// located at the state being expanded, as the level search reports it.
import { loadSource } from '../workers/imported-model.ts';
import type { Loaded } from '../search/loaded.ts';
import { locateMessage } from '../search/expand-values.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { runSwarmJob } from './swarm-job.ts';
import { swarmSpace, type SwarmSpace } from './swarm-space.ts';
import type { SwarmTask, SwarmTaskResult } from './swarm-run.ts';

/** Runs one swarm job in this thread. */
export async function runSwarmTask(task: SwarmTask): Promise<SwarmTaskResult> {
  let L: Loaded;
  try {
    L = await loadSource(task.source, task.search);
  } catch (e) {
    return { error: (e as Error)?.message ?? String(e) };
  }
  const space = swarmSpace(L);
  // The state being expanded, for a located error message.
  let expanding: unknown;
  const watched: SwarmSpace<unknown> = {
    ...space,
    successors(s, hi, lo) {
      expanding = s;
      return space.successors(s, hi, lo);
    },
  };
  try {
    return { report: runSwarmJob(watched, task.spec, task.found, task.stop) };
  } catch (e) {
    if (e instanceof NotVectorizableError) return { needsImmutable: e.message };
    let value: unknown;
    try {
      value = expanding === undefined ? undefined : space.value(expanding);
    } catch {
      value = undefined;
    }
    return { error: locateMessage(L.model, value, undefined, e) };
  }
}
