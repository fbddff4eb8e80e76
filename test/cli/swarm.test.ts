// `mmcheck swarm` on the command line: the exit codes (1 a counterexample, 0 a job explored
// everything, 3 no job did, 2 bad usage), the job table and coverage, the seed that repeats a
// swarm, and a --json file that `mmcheck replay` confirms.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function mmcheck(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mmcheck swarm', () => {
  it('a counterexample: exit 1, the trace, the job that found it; --json replays', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'mmcheck-swarm-')), 'r.json');
    const r = mmcheck(['swarm', 'range-start-only', '--jobs', '3', '--seed', '4', '--workers', '2', '--no-typecheck', '--json', json]);
    expect(r.code).toBe(1);
    // Either of the two properties the model breaks, whichever a job met first.
    const property = /^Counterexample for '([^']+)': \d+ steps/.exec(r.out)?.[1];
    expect(['no use-after-free', 'no secondary mapping outlives its CPU PTE']).toContain(property);
    expect(r.out).toMatch(/\(found by swarm job \d: a depth-first path, not necessarily the shortest\)/);
    expect(r.out).toMatch(new RegExp(`violated: range-start-only: '${property}' found by job \\d of 3`));
    const saved = JSON.parse(readFileSync(json, 'utf8'));
    expect(saved.status).toBe('violated');
    expect(saved.swarm.seed).toBe(4);
    const replay = mmcheck(['replay', json]);
    expect(replay.code).toBe(0);
    expect(replay.out).toMatch(new RegExp(`confirmed: range-start-only: all \\d+ steps replay and '${property}' is violated`));
  });

  it('a job that explores every state: exit 0, with the collision probability; the same seed prints the same jobs', () => {
    const args = ['swarm', 'kvm', '--jobs', '3', '--seed', '11', '--no-typecheck'];
    const a = mmcheck(args);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/holds: kvm: job \d explored every reachable state \(163; no path cut at depth 10000\); probability that two states shared a 64-bit fingerprint: /);
    expect(a.out).toContain('Coverage: 37 of 39 steps fired in some job; never fired (2): reclaim: give_up, vcpu0: gup.dr.give_up');
    expect(a.out).toContain('seed 11, --seed 11 repeats the swarm');
    expect(a.err).toContain("swarm checks safety only: 'progress' (liveness) not checked");
    const table = (out: string) => out.split('\n').filter((l) => /^ +\d+ +(model|reverse|random) /.test(l)).map((l) => l.replace(/\d+\.\d+ s/, ''));
    expect(table(a.out)).toHaveLength(3);
    expect(table(mmcheck(args).out)).toEqual(table(a.out));
  });

  it('no job explores everything: exit 3, saying which limit to raise', () => {
    const r = mmcheck(['swarm', 'kvm', '--jobs', '2', '--depth', '5', '--no-typecheck']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('incomplete: kvm: no counterexample found, and no job explored every reachable state: 2 cut paths at depth 5 (raise --depth)');
  });

  it.each([
    [['--jobs', '0'], "--jobs must be an integer ≥ 1, got '0'"],
    [['--depth', 'deep'], "--depth must be an integer ≥ 1, got 'deep'"],
    [['--max-states', '-3'], "--max-states must be an integer ≥ 1, got '-3'"],
    [['--seed', '1.5'], "--seed must be an integer ≥ 0 (integers only), got '1.5'"],
    [['--engine', 'fast'], "--engine must be 'auto', 'vector' or 'immutable', got 'fast'"],
    [['--time-limit', '0'], "--time-limit must be a positive number, got '0'"],
  ])('%j: exit 2 with one line', (flags, line) => {
    const r = mmcheck(['swarm', 'kvm', '--no-typecheck', ...(flags as string[])]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`mmcheck: error: ${line}`);
  });

  it('model code that throws: exit 2, naming the step', () => {
    const r = mmcheck(['swarm', 'test/fixtures/throwing-step.ts', '--jobs', '2', '--no-typecheck']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n').at(-1)).toBe("mmcheck: error: model 'throwing-step', thread 'driver', step 'map': effect threw: RangeError: spte index out of range");
  });
});
