// Limits bound what they name, end to end through the mmcheck command: --max-states counts
// exactly, --workers is clamped to the machine, --time-limit / signals / --memory end a run
// within their bound however busy its threads are (issue 18).
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
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
    const args = ['check', 'kvm', '-p', 'path=classic', '-p', 'addresses=2', '-p', 'faults=2', '-p', 'attempts=2', '--max-states', '100000'];
    const one = mmcheck([...args, '--workers', '1']);
    const two = mmcheck([...args, '--workers', '2'], { MMCHECK_TRACE_LEVELS: '1', MMCHECK_WAIT_FOR_POOL: '1' });
    expect(two.err).toMatch(/^level \d+: [\d,]+ states, 2 threads/m);
    expect(one.code).toBe(3);
    expect(figures(one.out)).toEqual(['100,000', '266,236', '27']);
    expect(figures(two.out)).toEqual(figures(one.out));
  });

  it('a model with exactly N states is searched in full: kvm (classic kernel side) has 107', () => {
    expect(mmcheck(['check', 'kvm', '-p', 'path=classic', '--max-states', '107']).code).toBe(0);
    const r = mmcheck(['check', 'kvm', '-p', 'path=classic', '--max-states', '106']);
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

/** A run of mmcheck in the background: its output, exit code and when it ended. */
interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  /** Seconds from the start to the exit, and from the first signal sent to the exit. */
  readonly seconds: number;
  readonly afterSignal: number;
}

/**
 * Runs mmcheck with MMCHECK_TRACE_LEVELS=1 and, once a stderr line matches `when` (a level
 * done: the search, and its watchdog, are under way) or `when` ms have passed, sends
 * `signals` 100 ms apart.
 */
function runAndSignal(args: string[], signals: NodeJS.Signals[] = [], when: RegExp | number = /^level \d+:/m, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let tSignal = 0;
    const child = spawn(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', MMCHECK_TRACE_LEVELS: '1', ...env } });
    let out = '';
    let err = '';
    const send = () => {
      tSignal = performance.now();
      signals.forEach((s, i) => setTimeout(() => child.kill(s), 100 * i));
    };
    if (typeof when === 'number' && signals.length > 0) setTimeout(send, when);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      if (tSignal === 0 && signals.length > 0 && typeof when !== 'number' && when.test(err)) send();
    });
    // Never left running, whatever happens.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(guard);
      const t = performance.now();
      resolve({ code, out, err, seconds: (t - t0) / 1000, afterSignal: tSignal > 0 ? (t - tSignal) / 1000 : NaN });
    });
  });
}

const elapsed = (out: string) => Number(out.match(/^([\d.]+) s, /m)?.[1]);

describe('--time-limit acts within a second or two, inside a level and inside a step', () => {
  it('a step that loops forever in the main thread: stopped after the limit, the step and its line named, exit 3', async () => {
    // It once ignored --time-limit (and two Ctrl-Cs, and SIGTERM): only SIGKILL ended it.
    const r = await runAndSignal(['check', 'test/fixtures/limits/forever.ts', '--time-limit', '1']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(
      /^incomplete: forever: time limit of 1\.0 s reached; a step did not return within 1\.\d s of the stop: model 'forever', thread 'writer', step 'append' \(its effect\), in the main thread at test\/fixtures\/limits\/forever\.ts:\d+:\d+; no violation in what was explored$/m,
    );
    // The figures of the levels done before the step: 2^4 - 1 states at depth 3.
    expect(r.out).toMatch(/^15 distinct states, 14 transitions, depth 3$/m);
    // The limit, a second's grace, and the report: not a second more (start-up aside).
    expect(elapsed(r.out)).toBeLessThan(3);
    expect(r.err).not.toMatch(/debugger|goroutine/i);
  });

  it("a guard that loops forever is named as the step's guard", async () => {
    const r = await runAndSignal(['check', 'test/fixtures/limits/forever.ts', '-p', 'where=guard', '--time-limit', '1']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/step 'append' \(its guard\), in the main thread/);
  });

  it('a step that loops forever in a worker thread: named as that thread, exit 3', async () => {
    // The main thread expands its share of the level and waits: it is free, the worker is not.
    // The level must be shared: with MMCHECK_WAIT_FOR_POOL the pool starts at once and levels
    // wait for its thread (without it, a worker still loading — the bundle's first build on a
    // fresh machine — left level 13 to the main thread alone, and no worker met the step).
    const r = await runAndSignal(['check', 'test/fixtures/limits/forever.ts', '-p', 'at=13', '-p', 'where=worker', '--workers', '2', '--time-limit', '3'], [], /^level \d+:/m, { MMCHECK_WAIT_FOR_POOL: '1' });
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^incomplete: forever: time limit of 3\.0 s reached; a step did not return within 1\.\d s of the stop: model 'forever', thread 'writer', step 'append' \(its effect\), in worker thread \d+; /m);
    expect(elapsed(r.out)).toBeLessThan(5);
  });

  it('a slow wide level (4,096 states of 16 steps, 0.3 ms each: 20 s) is stopped inside the level, not at its end', async () => {
    // A 2 s limit once stopped at 10-22 s: it was looked at only between levels and ranges.
    const r = await runAndSignal(['check', 'test/fixtures/limits/slow.ts', '-p', 'width=16', '-p', 'us=300', '--time-limit', '2', '--workers', '1']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^incomplete: slow: time limit of 2\.0 s reached; no violation in what was explored$/m);
    expect(elapsed(r.out)).toBeLessThan(2.5);
  });
});

describe('--time-limit and Ctrl-C bound model code that runs before the search (no watchdog yet)', () => {
  it("a model file whose top-level code loops forever: ended at the limit plus a second, named as loading, exit 3", async () => {
    // It once ignored --time-limit: only Ctrl-C (or SIGKILL) ended it.
    const r = await runAndSignal(['check', 'test/fixtures/limits/loops-loading.ts', '--time-limit', '1', '--no-typecheck']);
    expect(r.code).toBe(3);
    expect(r.out).toBe(
      "incomplete: model 'test/fixtures/limits/loops-loading.ts' never finished loading: its top-level code was still running when the time limit of 1.0 s (and 1 s more) ran out: stopped it; no state was searched\n",
    );
    expect(r.err).toBe('');
    // Start-up (tsx, the CLI), the limit and the second's grace: nothing more.
    expect(r.seconds).toBeLessThan(6);
  });

  it('a build() that loops forever: named as building, exit 3', async () => {
    const r = await runAndSignal(['check', 'test/fixtures/limits/loops-building.ts', '-p', 'loop=true', '--time-limit', '1', '--no-typecheck']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^incomplete: model 'loops-building' never finished building: build\(\) or its initial states were still running when the time limit of 1\.0 s \(and 1 s more\) ran out: stopped it; no state was searched$/m);
    // Without the loop, the same model is searched in full: the limit starts with the search.
    expect((await runAndSignal(['check', 'test/fixtures/limits/loops-building.ts', '--time-limit', '1', '--no-typecheck'])).code).toBe(0);
  });

  it('Ctrl-C while the top-level code loops: ends at once, as an interrupted process (130)', async () => {
    const r = await runAndSignal(['check', 'test/fixtures/limits/loops-loading.ts', '--no-typecheck'], ['SIGINT'], 2000);
    expect(r.code).toBe(130);
    expect(r.afterSignal).toBeLessThan(1);
  });
});

describe('signals act within a second, however busy the search is', () => {
  it('SIGTERM while a step loops forever: the figures so far, exit 3', async () => {
    const r = await runAndSignal(['check', 'test/fixtures/limits/forever.ts', '--time-limit', '60'], ['SIGTERM'], /^level 3:/m);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^incomplete: forever: interrupted; a step did not return within 1\.\d s of the stop: model 'forever', thread 'writer', step 'append' \(its effect\)/m);
    expect(r.out).toMatch(/^15 distinct states/m);
    expect(r.afterSignal).toBeLessThan(2.5);
  });

  it('two SIGINTs while a step loops forever: exit 130 at once', async () => {
    const r = await runAndSignal(['check', 'test/fixtures/limits/forever.ts', '--time-limit', '60'], ['SIGINT', 'SIGINT'], /^level 3:/m);
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/^mmcheck: SIGINT again: stopped at once$/m);
    expect(r.afterSignal).toBeLessThan(1.5);
  });

  it('SIGINT inside a slow level: stops within a second with the figures so far (the steps return, so nothing is named)', async () => {
    const r = await runAndSignal(['check', 'test/fixtures/limits/slow.ts', '-p', 'width=16', '-p', 'us=300', '--workers', '1', '--time-limit', '60'], ['SIGINT'], /^level 2:/m);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^incomplete: slow: interrupted; no violation in what was explored$/m);
    expect(r.afterSignal).toBeLessThan(1);
  });
});

describe('an unwritable temporary directory', () => {
  it.each([
    ['/proc', 'ENOENT'],
    ['/etc/hostname', 'ENOTDIR'],
  ])('TMPDIR=%s: mmcheck works without its caches and says so in one line', (dir, code) => {
    // TMPDIR=/proc once made even `mmcheck list` spin at 100% CPU forever: Node 20's recursive
    // mkdir (tsx's cache) loops where mkdir fails with ENOENT under an existing directory.
    const list = spawnSync(process.execPath, ['bin/mmcheck.js', 'list'], { cwd: root, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1', TMPDIR: dir } });
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^kvm /m);
    expect(list.stderr).toBe(`mmcheck: note: the temporary directory '${dir}' cannot be written (${code}): running without tsx's cache and worker bundles (slower); set TMPDIR to a writable directory\n`);
    const check = mmcheck(['check', 'kvm', '--workers', '1'], { TMPDIR: dir });
    expect(check.code).toBe(0);
  });
});

describe('--memory bounds the resident memory of the whole run', () => {
  /** The budget line's total, budget and terms (name → MiB). */
  function account(out: string) {
    const m = out.match(/memory budget reached: (?:.*?: )?([\d,.]+) MiB resident of the ([\d,]+) MiB budget \(--memory\) = (.*?) MiB; /);
    if (m === null) return undefined;
    const num = (x: string) => Number(x.replace(/,/g, ''));
    const terms = m[3].split(' + ').map((t) => {
      const [, name, n] = t.match(/^(.*?) (-?[\d,.]+)(?: \(.*\))?$/)!;
      return { name, mib: num(n) };
    });
    return { total: num(m[1]), budget: num(m[2]), terms };
  }
  const peak = (out: string) => Number(out.match(/peak memory ([\d.]+) MiB/)?.[1]);

  it.each([
    ['a state space that doubles each level (2 workers)', ['-p', 'shape=history', '--memory', '220']],
    ['three counters that grow forever (the vector engine: its memo tries grow on the heap)', ['--memory', '180']],
    ['the doubling model with --coverage (its hook on this thread)', ['-p', 'shape=history', '--coverage', '--memory', '220']],
  ])('%s: stops within the budget, exit 3, with terms that add up', (_, args) => {
    // --memory 200 once never stopped (552 MiB after 200 s), --memory 300 stopped at 942 MiB
    // resident, and the terms printed left out the trace and the worker threads' heaps.
    const r = mmcheck(['check', 'test/fixtures/unbounded.ts', ...args, '--time-limit', '120']);
    expect(r.code).toBe(3);
    const a = account(r.out);
    expect(a, r.out).toBeDefined();
    expect(a!.total).toBeLessThanOrEqual(a!.budget);
    // Each term is rounded to a MiB (or a tenth): the sum is the total within that.
    const sum = a!.terms.reduce((n, t) => n + t.mib, 0);
    expect(Math.abs(sum - a!.total)).toBeLessThanOrEqual(a!.terms.length * 0.5);
    expect(a!.terms.map((t) => t.name)).toEqual(expect.arrayContaining(['at the start (Node, mmcheck, the model)', 'the rest', 'the supervisor process']));
    // The search process's peak, as the kernel counted it, and the supervisor: within the budget.
    const supervisor = a!.terms.find((t) => t.name === 'the supervisor process')!.mib;
    expect(peak(r.out) + supervisor).toBeLessThanOrEqual(a!.budget);
  });

  it('a budget too small to start in: one line saying what the run takes before the search, exit 2', () => {
    const r = mmcheck(['check', 'kvm', '--memory', '64']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mmcheck: error: --memory 64: too small to search in: the run takes \d+ MiB before the search starts \(this process \d+ MiB: Node, mmcheck and the model; the supervisor \d+ MiB\); give at least \d+\n$/);
    expect(r.out).toBe('');
  });
});
