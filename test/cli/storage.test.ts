// --storage on the command line: every bad value is one line and exit 2 (the README's Errors
// table), a disk run prints what it kept on disk and removes its files, and a bitstate run
// prints SPIN's hash factor and the probability of a missed state.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function mmcheck(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const KVM = ['check', 'kvm', '-p', 'addresses=2', '-p', 'path=classic', '--no-liveness', '--workers', '1', '--no-typecheck'];

describe('--storage: bad values', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mmcheck-storage-cli-'));
  const aFile = join(scratch, 'a-file');
  writeFileSync(aFile, 'x');
  it.each([
    [['--storage', 'tape'], "--storage must be 'ram', 'disk', 'bitstate', got 'tape'"],
    [['--spill-dir', scratch], "--spill-dir applies to --storage disk only (the run's storage is 'ram')"],
    [['--storage', 'bitstate', '--seen-memory', '64'], "--seen-memory applies to --storage disk only (the run's storage is 'bitstate')"],
    [['--frontier-memory', '4'], "--frontier-memory applies to --storage disk only (the run's storage is 'ram')"],
    [['--storage', 'disk', '-w', '20'], "--bitstate-bits applies to --storage bitstate only (the run's storage is 'disk')"],
    [['--storage', 'disk', '--spill-dir', aFile], `--spill-dir '${aFile}' is not a directory`],
    [['--storage', 'disk', '--memory', '500', '--seen-memory', '600'], "--seen-memory 600 must be below --memory 500 (it is the seen set's share of it)"],
    [['--storage', 'bitstate', '-w', '9'], "--bitstate-bits must be an integer ≥ 10, got '9'"],
    [['--storage', 'bitstate', '-w', '36'], '--bitstate-bits must be at most 35 (2^35 bits: 4096 MiB), got 36'],
    [['--storage', 'bitstate', '-w', '33', '--memory', '900'], '--bitstate-bits 33 needs 1024 MiB of bits, not below --memory 900; give fewer bits or more memory'],
    [['--storage', 'bitstate', '-k', '0'], "--bitstate-hashes must be an integer ≥ 1, got '0'"],
    [['--storage', 'bitstate', '-k', '33'], '--bitstate-hashes must be at most 32, got 33'],
  ])('%j: exit 2 with one line', (flags, line) => {
    const r = mmcheck([...KVM, ...(flags as string[])]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`mmcheck: error: ${line}`);
  });
});

describe('--storage runs', () => {
  it('disk: the in-memory figures, what went to disk, and no file left in --spill-dir', () => {
    const ram = mmcheck(KVM);
    const spill = mkdtempSync(join(tmpdir(), 'mmcheck-spill-cli-'));
    try {
      // --seen-memory 0.001: the table's keys move to disk after every level.
      const disk = mmcheck([...KVM, '--storage', 'disk', '--spill-dir', spill, '--seen-memory', '0.001']);
      expect([ram.code, disk.code]).toEqual([0, 0]);
      const figures = (out: string) => out.match(/^[\d,]+ distinct states, [\d,]+ transitions, depth \d+$/m)?.[0];
      expect(figures(disk.out)).toBe(figures(ram.out));
      expect(figures(disk.out)).toBe('2,510 distinct states, 5,238 transitions, depth 32');
      expect(disk.out).toMatch(/^storage: disk, [\d,]+ fingerprints in a sorted file \(\d+ merges\), [\d.]+ MiB on disk at the end/m);
      expect(readdirSync(spill)).toEqual([]);
      // --frontier-memory 0.001: every level after the first searched in slices from a file.
      const sliced = mmcheck([...KVM, '--storage', 'disk', '--spill-dir', spill, '--frontier-memory', '0.001']);
      expect(sliced.code).toBe(0);
      expect(figures(sliced.out)).toBe(figures(ram.out));
      expect(sliced.out).toMatch(/^storage: disk, .*; 3\d levels searched in [\d,]+ slices from files \([\d.]+ MiB at most\)$/m);
      expect(readdirSync(spill)).toEqual([]);
    } finally {
      rmSync(spill, { recursive: true, force: true });
    }
  });

  it('bitstate: the hash factor and the probability of a missed state', () => {
    const r = mmcheck([...KVM, '--storage', 'bitstate', '-w', '20', '-k', '3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^storage: bitstate, 2\^20 bits \(0\.1 MiB\), 3 bits a state, hash factor [\d.]+ \(bits per state; best above 100\)$/m);
    expect(r.out).toMatch(/^bitstate: the figures are a lower bound .*: expected states missed [\d.e+-]+, probability of having missed any [\d.e+-]+$/m);
  });
});
