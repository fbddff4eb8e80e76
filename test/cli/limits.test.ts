// Limits bound what they name, end to end through the mmcheck command: --max-states counts
// exactly, --workers is clamped to the machine, --time-limit / signals / --memory end a run
// within their bound however busy its threads are (issue 18).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

const root = fileURLToPath(new URL('../..', import.meta.url));

function mmcheck(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const figures = (out: string) => out.match(/^([\d,]+) distinct states, ([\d,]+) transitions, depth (\d+)$/m)?.slice(1);

describe('--max-states N stores exactly N states', () => {
  it.each([1, 2, 10])('--max-states %i on a model whose states have two successors each, for 1, 2 and 4 workers', (n) => {
    // Once '--max-states 1' reported 3 states and '--max-states 10' reported 11: the state
    // whose successor reached the bound finished its expansion. The doubling model's state
    // k (BFS order) has successors 2k+1 and 2k+2, so N states take N - 1 transitions.
    for (const workers of ['1', '2', '4']) {
      const r = mmcheck(['check', 'test/fixtures/unbounded.ts', '-p', 'shape=history', '--max-states', String(n), '--workers', workers]);
      expect(r.code).toBe(3);
      expect(r.out).toMatch(new RegExp(`^incomplete: unbounded: max states ${n} reached`, 'm'));
      expect(figures(r.out)).toEqual([String(n), String(n - 1), String(Math.floor(Math.log2(n)))]);
    }
  });

  it('a bound that the worker thread reaches mid-level gives the same figures for 1 and 2 workers', () => {
    // kvm 2/2/2: 100,000 states is level 27, past the levels of ~10,000 states that the
    // worker thread expands with this one (claims), so the cut falls in a shared level.
    const args = ['check', 'kvm', '-p', 'addresses=2', '-p', 'faults=2', '-p', 'attempts=2', '--max-states', '100000'];
    const one = mmcheck([...args, '--workers', '1']);
    const two = mmcheck([...args, '--workers', '2'], { MMCHECK_TRACE_LEVELS: '1' });
    expect(two.err).toMatch(/^level \d+: [\d,]+ states, 2 threads/m);
    expect(one.code).toBe(3);
    expect(figures(one.out)).toEqual(['100,000', '266,236', '27']);
    expect(figures(two.out)).toEqual(figures(one.out));
  });

  it('a model with exactly N states is searched in full: kvm has 107', () => {
    expect(mmcheck(['check', 'kvm', '--max-states', '107']).code).toBe(0);
    const r = mmcheck(['check', 'kvm', '--max-states', '106']);
    expect(r.code).toBe(3);
    expect(figures(r.out)?.[0]).toBe('106');
  });
});

describe('--workers is clamped to the machine', () => {
  it('--workers 1000 runs one thread per core and says so in one line', () => {
    // It once started 1,000 threads (15 GB) and ignored Ctrl-C.
    const cores = availableParallelism();
    const r = mmcheck(['check', 'kvm', '--workers', '1000']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`mmcheck: --workers 1000: this machine runs ${cores} thread${cores === 1 ? '' : 's'} at once; using ${cores}`);
    expect(r.out).toMatch(new RegExp(`, ${cores} workers?$`, 'm'));
  });
});
