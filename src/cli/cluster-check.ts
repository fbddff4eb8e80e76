// `mmcheck check MODEL --cluster nats://HOST:PORT`: the options a cluster run takes, the
// ones it refuses (one line, exit 2), and the search handed to the coordinator
// (src/cluster/coordinator.ts) in place of the search on this machine.
import type { Command } from 'commander';
import type { Model } from '../model/model.ts';
import { withUnchecked, type CheckResult } from '../explore/result.ts';
import { livenessPlan } from '../explore/liveness/plan.ts';
import type { StopRequest } from '../explore/stop-request.ts';
import type { Fairness } from '../model/model.ts';
import { clusterSearch } from '../cluster/coordinator.ts';
import { clusterUrl } from '../cluster/transport.ts';
import { integerOption, positiveOption } from './numbers.ts';
import { UsageError } from './usage-error.ts';
import type { SearchFlags } from './search-flags.ts';

/** Seconds a check waits for its nodes to join, unless --join-timeout says otherwise. */
const JOIN_TIMEOUT_S = 30;
/** Seconds a node may be silent before the run ends, unless --node-timeout says otherwise. */
const NODE_TIMEOUT_S = 5;

/** The cluster flags of `check`. */
export interface ClusterFlags {
  cluster?: string;
  nodes?: number;
  joinTimeout?: number;
  nodeTimeout?: number;
}

/** How long a cluster run waits for its nodes, and how long a node may be silent (ms). */
export function clusterTimeouts(flags: ClusterFlags): { joinTimeoutMs: number; silentMs: number } {
  return { joinTimeoutMs: (flags.joinTimeout ?? JOIN_TIMEOUT_S) * 1000, silentMs: (flags.nodeTimeout ?? NODE_TIMEOUT_S) * 1000 };
}

/** Adds --cluster, --nodes, --join-timeout and --node-timeout to `cmd`. */
export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option('--cluster <url>', 'search across the mmcheck nodes of the NATS server at nats://HOST:PORT (see docs/cluster.md)')
    .option('--nodes <n>', '--cluster: wait for n nodes (default: the nodes that join within a second of the first)', integerOption('--nodes', 1))
    .option('--join-timeout <seconds>', `--cluster: how long to wait for the nodes (default ${JOIN_TIMEOUT_S})`, positiveOption('--join-timeout'))
    .option('--node-timeout <seconds>', `--cluster: a node silent this long ends the run, incomplete (default ${NODE_TIMEOUT_S})`, positiveOption('--node-timeout'));
}

/**
 * The cluster flags of any command (check, swarm): none without --cluster; with it, a
 * well-formed URL. True when the run is a cluster run. Throws a UsageError otherwise.
 */
export function clusterFlagsGiven(flags: ClusterFlags): boolean {
  if (flags.cluster === undefined) {
    for (const [given, flag] of [
      [flags.nodes, '--nodes'],
      [flags.joinTimeout, '--join-timeout'],
      [flags.nodeTimeout, '--node-timeout'],
    ] as const) {
      if (given !== undefined) throw new UsageError(`${flag} applies to --cluster runs only`);
    }
    return false;
  }
  try {
    clusterUrl(flags.cluster);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return true;
}

/** Throws a UsageError for a flag a cluster run cannot honour (or a cluster flag without --cluster). */
export function checkClusterFlags(flags: SearchFlags & ClusterFlags & { coverage?: boolean; checkpoint?: string; resume?: string }): void {
  if (!clusterFlagsGiven(flags)) return;
  const refuse = (what: string, why: string) => {
    throw new UsageError(`--cluster does not combine with ${what}: ${why}`);
  };
  if (flags.por) refuse('--por', "partial-order reduction's cycle proviso looks up states other nodes own during a level; run it on one machine");
  if ((flags.storage ?? 'ram') !== 'ram') refuse(`--storage ${flags.storage}`, 'each node keeps its seen set in memory; add nodes for more memory');
  if (flags.coverage) refuse('--coverage', 'step counts are taken on one machine; run it there');
  if (flags.engine === 'immutable') refuse('--engine immutable', 'the nodes search on the vector engine');
  if (flags.workers !== undefined) refuse('--workers', 'each node is one search thread; start more nodes');
  if (flags.memory !== undefined) refuse('--memory', "it bounds one process; a cluster run's memory is its nodes'");
  // FIXME: a checkpoint of a cluster run would be each node's partition (checkpoint-file.ts) and the coordinator's figures, written at one level's end.
  if (flags.checkpoint !== undefined || flags.resume !== undefined) refuse(flags.checkpoint !== undefined ? '--checkpoint' : '--resume', "a checkpoint holds one process's seen set and frontier, and a cluster run's are spread over its nodes");
}

/** The cluster search of `model` (built from `file` with `params`), with liveness left unchecked as one machine says so. */
export async function clusterCheck(
  model: Model<unknown, unknown>,
  file: string,
  params: Readonly<Record<string, unknown>>,
  flags: SearchFlags & ClusterFlags & { allProperties?: boolean; continue?: boolean; strictExpect?: boolean },
  stop: StopRequest,
  progress: (line: string) => void,
): Promise<CheckResult> {
  const lp = livenessPlan(model, { liveness: flags.liveness, fairness: flags.fairness as Fairness | undefined }, { symmetry: flags.symmetry });
  if ('error' in lp) throw new UsageError(lp.error);
  const unchecked =
    lp.plan !== undefined
      ? lp.plan.properties.map((p) => ({ property: p.name, reason: 'a cluster run checks safety only (the fair-cycle check needs the whole state graph in one process); --no-liveness opts out' }))
      : lp.unchecked;
  const result = await clusterSearch(model, file, params, {
    url: flags.cluster!,
    nodes: flags.nodes,
    ...clusterTimeouts(flags),
    maxStates: flags.maxStates,
    maxDepth: flags.maxDepth,
    allProperties: (flags.allProperties || flags.continue || flags.strictExpect) ?? false,
    symmetry: flags.symmetry,
    stop,
    timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000,
    progressIntervalMs: (flags.progress ?? 5) * 1000,
    onProgress: progress,
  });
  return withUnchecked(result, unchecked);
}
