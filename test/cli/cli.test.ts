// End-to-end tests of the mmcheck command: verdicts, exit codes, and one-line errors.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function mmcheck(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hasStack = (s: string) => /^\s+at .+:\d+:\d+\)?$/m.test(s);

describe('mmcheck check', () => {
  it('range-start-only: exit 1 with a numbered trace ending in the use-after-free', () => {
    const r = mmcheck('check', 'range-start-only');
    expect(r.code).toBe(1);
    const steps = r.out.split('\n').filter((l) => /^\s*\d+\. /.test(l));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThanOrEqual(12);
    expect(steps[0]).toMatch(/^\s*1\. madvise\s+range_start\s+invalidate_range_start/);
    expect(r.out).toMatch(/violated: no use-after-free: spte\[0\] still maps page 0, which was freed/);
    expect(r.out).toMatch(/distinct states, \d+ transitions, depth \d+/);
  });

  it('a model whose state has a growing List: the summary says why it searched Immutable values', () => {
    const r = mmcheck('check', 'test/fixtures/growing-list.ts');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^note: a state has no fixed layout of slots \(.*\); searched Immutable values instead$/m);
    const kvm = mmcheck('check', 'kvm');
    expect(kvm.out).not.toMatch(/^note:/m);
  });

  it('two-phase-commit, a plain Model, on the vector engine in 2 worker threads: the counts of TwoPhase.tla', () => {
    // Its states have a fixed layout (plain-vector.ts); the threads must load and build it too.
    // (--engine vector: a model the vector engine could not run would be an error, exit 2.)
    const r = spawnSync(process.execPath, ['bin/mmcheck.js', 'check', 'two-phase-commit', '-p', 'rms=6', '--workers', '2', '--engine', 'vector', '--no-liveness'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', MMCHECK_TRACE_LEVELS: '1', MMCHECK_WAIT_FOR_POOL: '1' },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^level \d+: [\d,]+ states, 2 threads|^pool: started at [\d.]+ s, threads ready at [\d.]+ s$/m);
    expect(r.stdout).toMatch(/^50,816 distinct states, 402,305 transitions, depth 19$/m);
    expect(r.stdout).not.toMatch(/^note:/m);
  });

  it('a plain Model whose state grows a List midway: searched again on Immutable values, with a note saying where', () => {
    const r = mmcheck('check', 'test/fixtures/plain-layouts.ts', '-p', 'kind=grows-midway');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^27 distinct states, 42 transitions, depth 10$/m);
    expect(r.out).toMatch(/^note: a state has no fixed layout of slots \(log: a List of 1 where the initial state had 0 items .*\); searched Immutable values instead$/m);
  });

  it('kvm: exit 0 with state counts and the collision probability', () => {
    const r = mmcheck('check', 'kvm');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^holds: kvm: every property holds/m);
    expect(r.out).toMatch(/[\d,]+ distinct states, [\d,]+ transitions, depth \d+/);
    expect(r.out).toMatch(/fingerprint collision probability: \d\.\de-\d+/);
  });

  it('--max-states: exit 3, incomplete, says which limit', () => {
    const r = mmcheck('check', 'kvm', '--max-states', '20');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^incomplete: kvm: max states 20 reached/m);
  });

  it('unknown built-in: exit 2 with a suggestion, no stack', () => {
    const r = mmcheck('check', 'kvn');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/mmcheck: error: unknown model 'kvn' \(did you mean 'kvm'\?\)/);
    expect(hasStack(r.err)).toBe(false);
  });

  it('missing model file: exit 2', () => {
    const r = mmcheck('check', 'no/such/model.ts');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no model file 'no\/such\/model.ts'/);
  });

  it('unknown parameter: exit 2 with the known ones', () => {
    const r = mmcheck('check', 'kvm', '-p', 'fault=3');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown parameter 'fault' for model 'kvm' \(did you mean 'faults'\?\); known: addresses, faults, attempts/);
  });

  it('a step that throws: one line naming model, thread and step; stack only with --debug', () => {
    const r = mmcheck('check', 'test/fixtures/throwing-step.ts');
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe("mmcheck: error: model 'throwing-step', thread 'driver', step 'map': effect threw: RangeError: spte index out of range");
    const d = mmcheck('check', 'test/fixtures/throwing-step.ts', '--debug');
    expect(d.code).toBe(2);
    expect(hasStack(d.err)).toBe(true);
  });

  it('a model that does not compile: exit 2 with the file:line:column', () => {
    const r = mmcheck('check', 'test/fixtures/syntax-error.ts');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/model 'test\/fixtures\/syntax-error.ts' failed to load: .*syntax-error.ts:4:\d+: error: /);
    expect(hasStack(r.err)).toBe(false);
  });

  it('an unknown option: exit 2', () => {
    const r = mmcheck('check', 'kvm', '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option '--frobnicate'/);
  });

  // Found by the fuzz test: commander prints its suggestion on a line of its own, so a
  // misspelt option gave a two-line error where every exit 2 says one line.
  it('a misspelt option or command: one line with the suggestion', () => {
    const option = mmcheck('check', 'kvm', '--max-state', '5');
    expect(option.code).toBe(2);
    expect(option.err).toBe("mmcheck: error: unknown option '--max-state' (did you mean --max-states?)\n");
    const command = mmcheck('chek', 'kvm');
    expect(command.code).toBe(2);
    expect(command.err).toBe("mmcheck: error: unknown command 'chek' (did you mean check?)\n");
  });
});

describe('mmcheck list', () => {
  it('lists the built-in models with their expected verdicts', () => {
    const r = mmcheck('list');
    expect(r.code).toBe(0);
    // P1 = no use-after-free, the first column of the verdict matrix.
    expect(r.out).toContain('P1 = no use-after-free');
    expect(r.out).toMatch(/^range-start-only\s+VIOLATED\s/m);
    expect(r.out).toMatch(/^kvm\s+holds\s+holds\s/m);
    expect(r.out).toMatch(/^two-phase-commit\s/m);
  });
});

describe('check against the model\'s expect', () => {
  it('says "as expected"; --strict-expect exits 0 on violations the model expects', () => {
    const plain = mmcheck('check', 'dining-philosophers');
    expect(plain.code).toBe(1);
    expect(plain.out).toMatch(/^expect: as expected: 1 violated; not settled \(the search stopped at the first violation; --all-properties checks the rest\): 'neighbours never eat together', 'progress', 'starvation freedom'$/m);
    const strict = mmcheck('check', 'dining-philosophers', '--strict-expect');
    expect(strict.code, strict.err).toBe(0);
    expect(strict.out).toMatch(/^expect: as expected \(3 violated, 1 holds\)$/m);
  });

  it('other parameters: not compared (the expect speaks of the defaults); --strict-expect refuses them', () => {
    const r = mmcheck('check', 'dining-philosophers', '-p', 'variant=ordered', '--no-liveness');
    expect(r.out).toMatch(/^expect: not compared: the model's expect is for its default parameters$/m);
    const strict = mmcheck('check', 'dining-philosophers', '-p', 'variant=ordered', '--strict-expect');
    expect(strict.code).toBe(2);
    expect(strict.err).toBe("mmcheck: error: --strict-expect: the expect of model 'dining-philosophers' is for its default parameters: drop the -p options or --strict-expect\n");
  });
});

describe('--all-properties and --continue', () => {
  it('are the same: the whole space, every violated property and what held', () => {
    const figures = (s: string) => s.replace(/^[\d.]+ s, .*$/m, '').replace(/state graph [\d.]+ B\/state/, '');
    const all = mmcheck('check', 'dining-philosophers', '--all-properties');
    const cont = mmcheck('check', 'dining-philosophers', '--continue');
    expect(cont.code).toBe(1);
    expect(figures(cont.out)).toBe(figures(all.out));
    expect(cont.out).toMatch(/^violated: dining-philosophers\(3, left-first\): 'deadlock freedom', 'progress', 'starvation freedom'; holds: 'neighbours never eat together', 'assertions'$/m);
  });
});
