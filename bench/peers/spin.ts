// Runs SPIN on the Promela twin of the KVM model (kvm-promela.ts): generate, `spin -a`,
// compile pan without partial-order reduction, run an exhaustive safety search, and read
// states, transitions, time and memory from pan's report.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kvmPromela, type KvmParams } from './kvm-promela.ts';

/** What a SPIN run reported. */
export type SpinRun =
  | {
      readonly ok: true;
      readonly version: string;
      readonly states: number;
      readonly transitions: number;
      /** pan's search time (the compile is not counted). */
      readonly seconds: number;
      readonly compileSeconds: number;
      readonly memoryMiB: number;
      readonly errors: number;
    }
  | { readonly ok: false; readonly reason: string };

/** SPIN's version line, or null when `spin` is not on the PATH. */
export function spinVersion(): string | null {
  const r = spawnSync('spin', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Runs SPIN on the KVM twin with these parameters. */
export function runSpin(params: KvmParams): SpinRun {
  const version = spinVersion();
  if (version === null) return { ok: false, reason: 'spin is not installed (apt-get install -y spin)' };
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-spin-'));
  try {
    writeFileSync(join(dir, 'kvm.pml'), kvmPromela(params));
    const c0 = performance.now();
    execFileSync('spin', ['-a', 'kvm.pml'], { cwd: dir, stdio: 'pipe' });
    // Exhaustive search: no partial-order reduction, safety only, a 2^24-slot hash table.
    execFileSync('gcc', ['-O2', '-DNOREDUCE', '-DSAFETY', '-DMEMLIM=16000', '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'pipe' });
    const compileSeconds = (performance.now() - c0) / 1000;
    const out = execFileSync('./pan', ['-m100000', '-w24'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 24 });
    const num = (re: RegExp) => {
      const m = re.exec(out);
      if (!m) throw new Error(`unexpected pan output (no ${re}):\n${out}`);
      return Number(m[1]);
    };
    return {
      ok: true,
      version,
      states: num(/(\d+) states, stored/),
      transitions: num(/(\d+) transitions \(= stored\+matched\)/),
      seconds: num(/pan: elapsed time ([\d.e+-]+) seconds/),
      compileSeconds,
      memoryMiB: num(/([\d.]+)\s+total actual memory usage/),
      errors: num(/errors: (\d+)/),
    };
  } catch (e) {
    return { ok: false, reason: `spin run failed: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
