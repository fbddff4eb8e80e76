// Worker-thread side of the level-synchronous search (the piscina task handler): expand
// ranges of a level, merge a partition of its candidates, copy part of a growing seen set;
// and the jobs of a swarm (src/swarm/).
// The model is imported by file path and built from its parameters once per thread and
// search (imported-model.ts); its closures never cross threads. A thread that dies anyway (out of
// memory) is reported by the coordinator as a dead worker.
import { threadId } from 'node:worker_threads';
import { withExitGuard } from '../explore/exit-guard.ts';
import { loadSource } from './imported-model.ts';
import type { GrowableRef } from '../search/shared-seen-set.ts';
import { warmUp } from './warm-up.ts';
import { runSwarmTask } from '../swarm/swarm-worker.ts';
import type { SwarmTask, SwarmTaskResult } from '../swarm/swarm-run.ts';
import { expandPhase, growPhase, insertPhase, validatePhase } from '../search/participant.ts';
import { WARM_READY, WARM_STOP, tryJoin, type ExpandResult, type InsertResult, type Task, type ValidateResult } from '../search/protocol.ts';

/** The piscina task handler. */
export async function runTask(task: Task | SwarmTask): Promise<ExpandResult | InsertResult | ValidateResult | GrowableRef | SwarmTaskResult | null> {
  switch (task.kind) {
    case 'swarm':
      return withExitGuard(() => runSwarmTask(task));
    case 'warm': {
      // A model that fails to load reports it on its first expand task, with the step.
      const loaded = await loadSource(task.source, task.search).catch(() => undefined);
      // Warm the JIT and the memo tries before the first shared level (warm-up.ts), and on
      // while the search runs alone; say when ready. A thread that dies meanwhile never says so.
      const control = new Int32Array(task.control);
      let said = false;
      const ready = () => {
        if (!said) Atomics.add(control, WARM_READY, 1);
        said = true;
      };
      const stop = () => Atomics.load(control, WARM_STOP) !== 0;
      if (loaded !== undefined) await withExitGuard(async () => warmUp(loaded, { ready, stop, holdMs: task.holdMs }));
      ready();
      return null;
    }
    case 'expand': {
      // A level this thread came too late for (protocol.ts Joinable).
      if (!tryJoin(task.join)) return { late: true, ranges: [], descriptors: [], strings: [], thread: threadId };
      // process.exit in model code throws here as in the calling thread, so the step is named
      // whichever thread ran it.
      const loaded = await loadSource(task.source, task.search);
      return withExitGuard(() => expandPhase(loaded, task, undefined, undefined, task.sample));
    }
    case 'insert':
      return insertPhase(task, task.invariants ? await loadSource(task.source, task.search) : undefined);
    case 'validate':
      return tryJoin(task.join) ? validatePhase(task) : { late: true, winners: [] };
    case 'grow':
      return growPhase(task);
  }
}
