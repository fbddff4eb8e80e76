// `check`'s checkpoint flags (--checkpoint, --checkpoint-every, --resume): what they ask of
// the search, and the lines that say, after a stop, where the checkpoint is and the command
// that goes on from it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CheckResult } from '../explore/result.ts';
import { DEFAULT_CHECKPOINT_EVERY_S, type CheckpointChoice } from '../search/checkpoint-choice.ts';
import { echo } from '../model/describe.ts';
import { count, type Style } from '../trace/text.ts';
import { UsageError } from './usage-error.ts';
import { writableDir } from './search-flags.ts';

/** The flags this file reads. */
export interface CheckpointFlags {
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
}

/**
 * The checkpoints the flags ask for, or a UsageError naming the bad flag. A resumed run goes
 * on writing checkpoints into its directory (or --checkpoint's). MMCHECK_CHECKPOINT_STOP_AT=N
 * (tests) stops the search at the end of the level reaching depth N, with a checkpoint.
 */
export function checkpointChoice(flags: CheckpointFlags): CheckpointChoice | undefined {
  if (flags.checkpoint === undefined && flags.resume === undefined) {
    if (flags.checkpointEvery !== undefined) throw new UsageError('--checkpoint-every applies with --checkpoint DIR or --resume DIR only');
    return undefined;
  }
  if (flags.resume !== undefined && !existsSync(flags.resume)) throw new UsageError(`--resume: no checkpoint in '${echo(resolve(flags.resume))}' (no such directory)`);
  const dir = resolve(flags.checkpoint ?? flags.resume!);
  writableDir(flags.checkpoint !== undefined ? '--checkpoint' : '--resume', dir, 'checkpoints');
  const stopAt = process.env.MMCHECK_CHECKPOINT_STOP_AT;
  return {
    dir,
    everyMs: (flags.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY_S) * 1000,
    ...(flags.resume !== undefined ? { resumeDir: resolve(flags.resume) } : {}),
    ...(stopAt !== undefined && /^\d+$/.test(stopAt) ? { stopAtDepth: Number(stopAt) } : {}),
  };
}

/** Stops after which the search can go on from its checkpoint. */
const RESUMABLE = ['interrupted', 'time-limit', 'memory'];

/**
 * After a run stopped by Ctrl-C, --time-limit or --memory: where its checkpoint is and the
 * command that goes on from it (this run's arguments with `--resume DIR`), or that none was
 * written yet. Nothing for any other result.
 */
export function resumeHint(r: CheckResult, choice: CheckpointChoice, err: Style): string {
  if (r.status !== 'incomplete' || !RESUMABLE.includes(r.limit)) return '';
  const c = r.stats.checkpoint;
  const at = c?.last ?? (c?.resumedFrom !== undefined && choice.resumeDir === choice.dir ? c.resumedFrom : undefined);
  if (at === undefined) {
    return err.dim(`mmcheck: no checkpoint was written before the stop (the first is written at the end of the level where ${choice.everyMs / 1000} s have passed: --checkpoint-every)`) + '\n';
  }
  return `mmcheck: checkpoint at depth ${at.depth} (${count(at.states)} states) in ${choice.dir}; go on with:\n  ${resumeCommand(process.argv.slice(2), choice.dir)}\n`;
}

/** The command line that resumes: `args` (this run's, from the command on) without --checkpoint/--resume, with `--resume DIR`. */
export function resumeCommand(args: readonly string[], dir: string): string {
  const from = args.indexOf('check');
  const kept: string[] = [];
  const rest = from >= 0 ? args.slice(from) : ['check', ...args];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--checkpoint' || a === '--resume') {
      i++;
      continue;
    }
    if (a.startsWith('--checkpoint=') || a.startsWith('--resume=')) continue;
    kept.push(a);
  }
  return ['mmcheck', ...kept, '--resume', dir].map(shellWord).join(' ');
}

/** A word as a POSIX shell reads it back. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
