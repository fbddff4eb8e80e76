// The phase after expanding: which successors are the level's new states. A level expanded
// alone inserted them as it went; with claims, the copy of each new state that holds its
// final (smallest) claim is flagged (validate); with candidates, each thread inserts its
// partition's candidates, blocks in order, so the first in (position, action) order wins.
import type { CheckResult } from '../explore/result.ts';
import type { ClaimsRef } from './level-claims.ts';
import type { LevelPlan } from './level-plan.ts';
import { insertPhase, validatePhase } from './participant.ts';
import type { CandidateBlock, ExpandResult, InsertResult, InsertTask, ValidateResult, ValidateTask, WorkerEvent } from './protocol.ts';
import { fulfilled, participants, type SearchPool } from './search-pool.ts';
import type { SearchState } from './search-state.ts';
import { GrowingSeenSet } from './shared-seen-set.ts';

/** The level's successors once settled: each block with its winners flagged, and their count. */
export interface SettledLevel {
  readonly blocks: CandidateBlock[];
  /** New states per block. */
  readonly perBlock: readonly number[];
  /** Invariant violations found while inserting (vectors, whose expansion kept every successor). */
  readonly insertEvents: readonly WorkerEvent[];
  readonly newStates: number;
}

/** Settles the level's successors (see the file header), or says the seen set outgrew the budget. */
export async function settleLevel(s: SearchState, pool: SearchPool, plan: LevelPlan, results: readonly ExpandResult[], claims: ClaimsRef | undefined, blocks: CandidateBlock[]): Promise<SettledLevel | CheckResult | 'over budget'> {
  if (plan.direct) return settled(blocks, blocks.map((b) => b.count), []);
  if (claims !== undefined) return validate(s, pool, plan, results, claims, blocks);
  return insert(s, pool, plan, blocks);
}

function settled(blocks: CandidateBlock[], perBlock: number[], insertEvents: WorkerEvent[]): SettledLevel {
  return { blocks, perBlock, insertEvents, newStates: perBlock.reduce((a, b) => a + b, 0) };
}

/** Flags the copies that hold their state's final claim. */
async function validate(s: SearchState, pool: SearchPool, plan: LevelPlan, results: readonly ExpandResult[], claims: ClaimsRef, blocks: CandidateBlock[]): Promise<SettledLevel> {
  const task: ValidateTask = { kind: 'validate', claims, tables: s.parts.map((p) => p.table.ref), blocks, levelStart: s.levelStart, counter: new SharedArrayBuffer(4), ...(plan.joinable ? { join: new SharedArrayBuffer(4) } : {}) };
  const others = pool.runOnOthers<ValidateResult>(task);
  const done = [validatePhase(task), ...fulfilled(await participants(others, task.join))];
  const perBlock = blocks.map(() => 0);
  for (const r of done) for (const [bi, n] of r.winners) perBlock[bi] = n;
  // Each state inserted has exactly one copy holding its claim, which put its key back into
  // the seen set: a slot left holding an entry would mislead every later probe.
  const won = perBlock.reduce((a, b) => a + b, 0);
  const inserted = results.reduce((n, r) => n + r.inserted!.reduce((a, b) => a + b, 0), 0);
  if (won !== inserted) throw new Error(`internal error: ${inserted} states inserted with claims at depth ${s.depth} but ${won} copies hold their claims`);
  return settled(blocks.map((b, k) => ({ ...b, winners: perBlock[k] })), perBlock, []);
}

/** Each thread inserts its partition's candidates, blocks in order (one thread alone: every partition). */
async function insert(s: SearchState, pool: SearchPool, plan: LevelPlan, blocks: CandidateBlock[]): Promise<SettledLevel | CheckResult | 'over budget'> {
  const maxBytes = s.tableRoom();
  const task = (p: number): InsertTask => ({
    kind: 'insert',
    source: s.source,
    search: s.searchId,
    part: p,
    table: s.parts[p].ref,
    maxBytes,
    blocks,
    invariants: s.engine === 'vector',
    skip: [...s.violated],
    strings: s.strings,
    levelStart: s.levelStart,
  });
  const inserts: Promise<InsertResult>[] = [];
  for (let p = 1; p < plan.threads; p++) inserts.push(pool.run<InsertResult>(task(p)));
  // With one thread (partial-order reduction's shared phases alone), it does every partition.
  const own: InsertResult[] = [];
  for (let p = 0; p < (plan.threads === 1 ? s.workers : 1); p++) own.push(insertPhase(task(p), s.main));
  // Result k is partition k's.
  const done = [...own, ...(await Promise.all(inserts))];
  done.forEach((r, k) => (s.parts[k] = GrowingSeenSet.fromRef(r.table)));
  const failed = done.find((r) => r.error !== undefined);
  if (failed !== undefined) return s.errorResult(failed.error!.message, failed.error!.stack);
  if (done.some((r) => r.overBudget)) return 'over budget';
  const perBlock = blocks.map((_, b) => done.reduce((n, r) => n + r.inserted[b], 0));
  return settled(
    blocks.map((b, k) => ({ ...b, winners: perBlock[k] })),
    perBlock,
    done.flatMap((r) => r.events),
  );
}
