// --checkpoint / --resume on the command line: a run stopped at a level boundary (the test
// hook MMCHECK_CHECKPOINT_STOP_AT, or a time limit after a checkpoint) exits 3 and prints
// the command that goes on; that command gives the uninterrupted run's figures and verdict;
// a checkpoint that is not this run's is refused with one line and exit 2.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'mmcheck-checkpoint-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function mmcheck(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const KVM = ['check', 'kvm', '-p', 'addresses=2', '-p', 'path=classic', '--no-liveness', '--no-typecheck'];
const figures = (out: string) => out.match(/^[\d,]+ distinct states, [\d,]+ transitions, depth \d+$/m)?.[0];

describe('--checkpoint and --resume', () => {
  it('a run stopped at depth 8 says how to go on; that command gives the whole run (1 worker, then 2)', () => {
    const whole = mmcheck([...KVM, '--workers', '1']);
    expect(whole.code).toBe(0);
    const dir = join(scratch, 'kvm');
    const stopped = mmcheck([...KVM, '--workers', '1', '--checkpoint', dir], { MMCHECK_CHECKPOINT_STOP_AT: '8' });
    expect(stopped.code).toBe(3);
    expect(stopped.out).toMatch(/^checkpoint: depth 8 \([\d,]+ states\) in .*, [\d.]+ MiB written in [\d.]+ s; 1 written by this run$/m);
    const hint = stopped.err.match(/^mmcheck: checkpoint at depth 8 \(([\d,]+) states\) in (.*); go on with:\n {2}(mmcheck .*)$/m);
    expect(hint, stopped.err).not.toBeNull();
    expect(hint![2]).toBe(dir);
    expect(hint![3]).toBe(`mmcheck check kvm -p addresses=2 -p path=classic --no-liveness --no-typecheck --workers 1 --resume ${dir}`);
    // The printed command, on 2 workers (the last --workers wins).
    const args = hint![3].split(' ').slice(1);
    const resumed = mmcheck([...args, '--workers', '2'], { MMCHECK_WAIT_FOR_POOL: '1' });
    expect(resumed.code).toBe(0);
    expect(figures(resumed.out)).toBe(figures(whole.out));
    expect(figures(resumed.out)).toBe('2,510 distinct states, 5,238 transitions, depth 32');
    expect(resumed.out).toContain(`resumed: from the checkpoint in ${dir} at depth 8 (${hint![1]} states`);
  });

  it('a violated model resumed gives the same counterexample', () => {
    const base = ['check', 'range-start-only', '--no-liveness', '--no-typecheck', '--workers', '1'];
    const whole = mmcheck(base);
    expect(whole.code).toBe(1);
    const dir = join(scratch, 'rso');
    expect(mmcheck([...base, '--checkpoint', dir], { MMCHECK_CHECKPOINT_STOP_AT: '2' }).code).toBe(3);
    const resumed = mmcheck([...base, '--resume', dir]);
    expect(resumed.code).toBe(1);
    // Everything but the timing and the checkpoint lines.
    const shown = (out: string) => out.split('\n').filter((l) => !/states\/s|^resumed:|^checkpoint:/.test(l));
    expect(shown(resumed.out)).toEqual(shown(whole.out));
  });

  it('a run stopped by --time-limit before any checkpoint says none was written', () => {
    const r = mmcheck(['check', 'kvm', '-p', 'addresses=2', '-p', 'faults=3', '--no-liveness', '--no-typecheck', '--workers', '1', '--time-limit', '0.3', '--checkpoint', join(scratch, 'late'), '--checkpoint-every', '1000']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^mmcheck: no checkpoint was written before the stop \(the first is written at the end of the level where 1000 s have passed: --checkpoint-every\)$/m);
  });

  it.each([
    [['--resume', '@none'], "--resume: no checkpoint in '@none' (no such directory)"],
    [['--resume', '@empty'], "--resume: no checkpoint in '@empty' (no file checkpoint.mmck)"],
    [['--checkpoint-every', '5'], '--checkpoint-every applies with --checkpoint DIR or --resume DIR only'],
    [['--checkpoint', '@file'], "--checkpoint '@file' is not a directory"],
    [['--checkpoint', '@dir', '--storage', 'disk'], '--checkpoint does not combine with --storage disk (its archive is not copied into a checkpoint): use --storage ram'],
    [['--checkpoint', '@dir', '--coverage'], '--checkpoint does not combine with --coverage (a resumed run would count only the transitions after the checkpoint)'],
  ])('%j: exit 2 with one line', (flags, line) => {
    const aFile = join(scratch, 'a-file');
    writeFileSync(aFile, 'x');
    mkdirSync(join(scratch, 'empty'), { recursive: true });
    const at = (s: string) => s.replace('@none', join(scratch, 'none')).replace('@empty', join(scratch, 'empty')).replace('@file', aFile).replace('@dir', join(scratch, 'd'));
    const r = mmcheck([...KVM, ...(flags as string[]).map(at)]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`mmcheck: error: ${at(line)}`);
  });

  it('a checkpoint of other parameters: exit 2, naming them', () => {
    const dir = join(scratch, 'params');
    expect(mmcheck([...KVM, '--checkpoint', dir], { MMCHECK_CHECKPOINT_STOP_AT: '3' }).code).toBe(3);
    const r = mmcheck([...KVM, '-p', 'faults=2', '--resume', dir]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`mmcheck: error: --resume: the checkpoint in '${dir}' cannot continue this search: its parameters were faults=1, not faults=2`);
  });
});
