// Checkpoints of the level-synchronous search (--checkpoint, --resume): at the end of a
// level, the seen set's keys, the trace arrays, the next level's states, the figures, the
// violations found so far (by the state where each was found, their traces rebuilt on
// resume) and what the threads learned (Record descriptors, hashed strings, the slots
// invariants read) go to checkpoint-file.ts's file; a resumed search restores them in place
// of level 0 and goes on as if it had never stopped: the same states, transitions, depth,
// verdicts and counterexamples, on any number of threads.
//
// Known limits (FIXME): not with --storage disk or bitstate (their archive would have to be
// copied or linked into the checkpoint), liveness (the state graph is not kept) or
// partial-order reduction (its footprint inference runs several searches).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from '../explore/result.ts';
import { ModelError, errorText } from '../model/errors.ts';
import { compactLevel, levelBlocks } from './frontier-file.ts';
import { CHECKPOINT_FILE, CheckpointError, identityMismatch, readCheckpoint, writeCheckpoint, type CheckpointContent, type CheckpointIdentity, type CheckpointKeys } from './checkpoint-file.ts';
import type { CheckpointChoice, CheckpointStats } from './checkpoint-choice.ts';
import type { NeedsImmutable } from './level-options.ts';
import { modelIdentity } from './model-identity.ts';
import type { SearchState, ViolationAt } from './search-state.ts';
import { GROWTH, GrowingSeenSet, MAX_LOAD, partitionOf } from './shared-seen-set.ts';

/** Keys per array written at a time. */
const KEY_CHUNK = 1 << 20;

/** Stops that leave the search at a level boundary it can go on from. */
const RESUMABLE = new Set(['interrupted', 'time-limit', 'memory']);

/** A violation as a checkpoint keeps it: its trace is rebuilt from the state where it was found. */
interface SavedViolation {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock';
  readonly message: string;
  readonly at: ViolationAt;
}

/** One search's checkpoints: the one it resumes from, and those it writes. */
export class Checkpoints {
  private writes = 0;
  private lastWriteAt = performance.now();
  private last?: CheckpointStats['last'];
  private resumedFrom?: CheckpointStats['resumedFrom'];
  private identity?: CheckpointIdentity;

  private constructor(
    readonly choice: CheckpointChoice,
    private pending: CheckpointContent | undefined,
  ) {}

  /**
   * The checkpoints of search `s`, having read and matched the one it resumes from; or why
   * it cannot (an error result: another model, parameters or options, a file that is not a
   * complete checkpoint; `needs-immutable` when the checkpoint is of the immutable engine).
   */
  static open(s: SearchState, choice: CheckpointChoice): Checkpoints | CheckResult | NeedsImmutable {
    const refused = refusal(s);
    if (refused !== undefined) return s.errorResult(refused);
    if (choice.resumeDir === undefined) return new Checkpoints(choice, undefined);
    let content: CheckpointContent;
    try {
      content = readCheckpoint(choice.resumeDir);
    } catch (e) {
      if (e instanceof CheckpointError) return s.errorResult(`--resume: ${e.message}`);
      return s.errorResult(`--resume: cannot read the checkpoint in '${choice.resumeDir}': ${errorText(e)}`);
    }
    if (content.identity.engine === 'immutable' && s.engine === 'vector') return { status: 'needs-immutable', reason: 'the checkpoint resumed was made on the immutable engine' };
    const ck = new Checkpoints(choice, content);
    let wanted: CheckpointIdentity;
    try {
      wanted = ck.identityOf(s);
    } catch (e) {
      return s.errorResult(e instanceof ModelError ? e.message : `--resume: the model fails on its initial states: ${errorText(e)}`);
    }
    const why = identityMismatch(content.identity, wanted);
    if (why !== undefined) return s.errorResult(`--resume: the checkpoint in '${choice.resumeDir}' cannot continue this search: ${why}`);
    return ck;
  }

  /** True when the search starts from a checkpoint (restore) rather than its initial states. */
  get resuming(): boolean {
    return this.pending !== undefined;
  }

  /** What the search and its figures were at the checkpoint, restored into `s` in place of level 0; or why not. */
  restore(s: SearchState): CheckResult | undefined {
    const c = this.pending!;
    this.pending = undefined;
    try {
      learnBack(s, c);
      restoreKeys(s, c.keys);
      for (const l of c.trace) s.traces.restoreLevel(l);
      s.level = levelBlocks(c.frontier, s.levelCodec());
      const f = c.figures as Record<string, number>;
      s.distinct = f.distinct;
      s.transitions = f.transitions;
      s.depth = f.depth;
      s.levelStart = f.levelStart;
      s.levelSize = f.levelSize;
      s.peakFrontier = f.peakFrontier;
      s.peakFrontierBytes = f.peakFrontierBytes;
      s.frontierBytesPerState = f.frontierBytesPerState;
      s.lastRatio = f.lastRatio;
      s.stateMs = f.stateMs;
      s.statesExpanded = f.statesExpanded;
      s.claimsTooNarrow = (c.figures.claimsTooNarrow as boolean) ?? false;
      if (s.traces.size !== s.distinct || c.frontier.count !== s.levelSize) throw new CheckpointError(`the checkpoint's figures (${s.distinct} states, a frontier of ${s.levelSize}) do not match its arrays`);
      for (const v of (c.extra.violations ?? []) as SavedViolation[]) {
        const trace = s.traces.traceTo(s.model, v.at.index, v.at.extraAction, v.at.last, s.keyOf);
        s.record({ property: v.property, kind: v.kind, message: v.message, trace }, v.at);
      }
      this.resumedFrom = { dir: this.choice.resumeDir!, depth: s.depth, states: s.distinct, transitions: s.transitions };
    } catch (e) {
      if (e instanceof CheckpointError) return s.errorResult(`--resume: ${e.message}`);
      return s.errorResult(e instanceof ModelError ? e.message : `--resume: ${errorText(e)}`, (e as Error)?.stack);
    }
    return undefined;
  }

  /**
   * At the end of a level (the next one in `s.level`): writes a checkpoint when one is due
   * (`everyMs` since the last), or when the search stops at this boundary for a stop request
   * (Ctrl-C, --time-limit, --memory) — or at the test hook's depth, which then stops it.
   */
  afterLevel(s: SearchState): void {
    if (s.stopAfterLevel || s.levelSize === 0) return;
    if (s.limit !== undefined && !RESUMABLE.has(s.limit)) return;
    const hook = this.choice.stopAtDepth !== undefined && s.limit === undefined && s.depth >= this.choice.stopAtDepth;
    if (!hook && s.limit === undefined && performance.now() - this.lastWriteAt < this.choice.everyMs) return;
    this.write(s);
    if (hook) s.stopWith('interrupted', `stopped at depth ${s.depth} (the test hook MMCHECK_CHECKPOINT_STOP_AT)`);
  }

  /** Writes the checkpoint of `s` at this level boundary. */
  private write(s: SearchState): void {
    const t = performance.now();
    const content: CheckpointContent = {
      identity: this.identityOf(s),
      figures: {
        distinct: s.distinct,
        transitions: s.transitions,
        depth: s.depth,
        levelStart: s.levelStart,
        levelSize: s.levelSize,
        peakFrontier: s.peakFrontier,
        peakFrontierBytes: s.peakFrontierBytes,
        frontierBytesPerState: s.frontierBytesPerState,
        lastRatio: s.lastRatio,
        stateMs: s.stateMs,
        statesExpanded: s.statesExpanded,
        claimsTooNarrow: s.claimsTooNarrow,
      },
      extra: {
        descriptors: s.descriptors,
        strings: s.strings,
        violations: s.violations.map((v, i): SavedViolation => ({ property: v.property, kind: v.kind as SavedViolation['kind'], message: v.message, at: s.violationsAt[i]! })),
      },
      keys: seenKeys(s),
      trace: s.traces.levelArrays(),
      frontier: compactLevel(s.level, s.levelSize, s.levelCodec()),
      ...(s.source.invariantReads !== undefined ? { blobs: { invariantReads: new Uint8Array(s.source.invariantReads.slice(0)) } } : {}),
    };
    let bytes: number;
    try {
      bytes = writeCheckpoint(this.choice.dir, content);
    } catch (e) {
      throw new ModelError({ model: s.model.name }, `--checkpoint: cannot write the checkpoint in '${this.choice.dir}': ${errorText(e)}`, { cause: e });
    }
    this.writes++;
    this.lastWriteAt = performance.now();
    this.last = { depth: s.depth, states: s.distinct, bytes, writeMs: this.lastWriteAt - t };
  }

  /** What the search is, for a checkpoint to match (computed once). */
  private identityOf(s: SearchState): CheckpointIdentity {
    if (this.identity !== undefined) return this.identity;
    const file = s.source.file;
    const r = s.options.reduction;
    const options = [`symmetry=${r?.key !== undefined}`, `max-depth=${s.options.maxDepth ?? 'none'}`, `all-properties=${s.options.allProperties ?? false}`];
    this.identity = {
      model: s.model.name,
      file,
      fileDigest: file === '' ? '' : createHash('sha256').update(readFileSync(file)).digest('hex'),
      params: stableJson(s.source.params),
      engine: s.engine,
      options,
      digest: modelIdentity(s.main).digest,
    };
    return this.identity;
  }

  /** The figures of this run's checkpoints (CheckStats.checkpoint). */
  stats(): CheckpointStats {
    return { dir: this.choice.dir, writes: this.writes, ...(this.last !== undefined ? { last: this.last } : {}), ...(this.resumedFrom !== undefined ? { resumedFrom: this.resumedFrom } : {}) };
  }

  /** The checkpoint file's path. */
  get file(): string {
    return join(this.choice.dir, CHECKPOINT_FILE);
  }
}

/** Why search `s` cannot be checkpointed, or undefined. */
function refusal(s: SearchState): string | undefined {
  if (s.storage !== undefined) return `--checkpoint does not combine with --storage ${s.storage.disk !== undefined ? 'disk' : 'bitstate'} (its archive is not copied into a checkpoint): use --storage ram`;
  if (s.liveness !== undefined) return `--checkpoint does not keep the state graph liveness properties need (model '${s.model.name}' has ${s.liveness.plan.properties.map((p) => `'${p.name}'`).join(', ')}): add --no-liveness`;
  if (s.main.select !== undefined) return '--checkpoint does not combine with --por (its footprint inference runs several searches): drop --por';
  if (s.options.onTransition !== undefined) return '--checkpoint does not combine with --coverage (a resumed run would count only the transitions after the checkpoint)';
  return undefined;
}

/** JSON with sorted keys, so equal parameters give equal text. */
function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

/** The Record types, hashed strings and invariants' reads the threads had learned, learned again here. */
function learnBack(s: SearchState, c: CheckpointContent): void {
  const { main } = s;
  const descriptors = (c.extra.descriptors ?? []) as string[];
  const strings = (c.extra.strings ?? []) as string[];
  // The model's own Record classes first (their methods), then the others by descriptor.
  if (s.engine === 'immutable') for (const init of s.model.initStates()) main.codec.learnFrom(init);
  main.codec.learnDescriptors(descriptors);
  main.codec.takeNewDescriptors();
  s.descriptors = [...descriptors];
  if (main.vector !== undefined) {
    main.vector.learnStrings(strings);
    main.vector.takeHashedStrings();
    s.strings = [...strings];
    const saved = c.blobs?.invariantReads;
    const shared = s.source.invariantReads;
    if (saved !== undefined && shared !== undefined) {
      if (saved.byteLength !== shared.byteLength) throw new CheckpointError(`its record of the slots invariants read has ${saved.byteLength} bytes, not ${shared.byteLength}`);
      const from = new Int32Array(saved.buffer, saved.byteOffset, saved.byteLength / 4);
      const into = new Int32Array(shared);
      for (let w = 1; w < into.length; w++) Atomics.or(into, w, from[w]);
      Atomics.add(into, 0, 1);
    }
  }
}

/** The seen set's keys, partition by partition, a chunk at a time. */
function seenKeys(s: SearchState): CheckpointKeys {
  const parts = s.parts;
  const count = parts.reduce((n, p) => n + p.count, 0);
  return {
    count,
    *chunks() {
      const buf = new Int32Array(2 * KEY_CHUNK);
      let total = 0;
      for (const p of parts) {
        const w = p.table.words;
        let n = 0;
        for (let b = 0; b < w.length; b += 2) {
          if (w[b] === 0) continue;
          buf[2 * n] = w[b];
          buf[2 * n + 1] = w[b + 1];
          if (++n === KEY_CHUNK) {
            yield buf;
            total += n;
            n = 0;
          }
        }
        if (n > 0) yield buf.subarray(0, 2 * n);
        total += n;
      }
      if (total !== count) throw new Error(`internal error: the seen set holds ${total} keys, not the ${count} its partitions count`);
    },
  };
}

/** Puts a checkpoint's keys back into the search's partitions (as many as it has threads now). */
function restoreKeys(s: SearchState, keys: CheckpointKeys): void {
  const n = s.workers;
  const per = new Array<number>(n).fill(0);
  for (const k of keys.chunks()) for (let i = 0; i < k.length; i += 2) per[n === 1 ? 0 : partitionOf(k[i], n)]++;
  s.parts = per.map((c) => new GrowingSeenSet(Math.max(1024, Math.ceil(c / 0.7))));
  for (const k of keys.chunks()) {
    for (let i = 0; i < k.length; i += 2) {
      if (!s.parts[n === 1 ? 0 : partitionOf(k[i], n)].insertGrowing(k[i], k[i + 1], MAX_LOAD, GROWTH)) throw new CheckpointError(`its seen set holds a key twice`);
    }
  }
}
