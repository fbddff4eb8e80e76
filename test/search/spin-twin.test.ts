// The Promela twin of the KVM model (bench/peers/kvm-promela.ts) must reach exactly mmcheck's
// number of states: the benchmark's comparison with SPIN is only fair if both explore the
// same state space, and equal counts check both tools. Skipped when spin is not installed.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { check } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { runSpin, spinVersion } from '../../bench/peers/spin.ts';

const KVM = fileURLToPath(new URL('../../models/drivers/kvm.ts', import.meta.url));

describe('SPIN twin of kvm', () => {
  it.skipIf(spinVersion() === null)('stores as many states as mmcheck finds (kvm 2 addresses, 1 fault x 1)', async () => {
    const params = { addresses: 2, faults: 1, attempts: 1 };
    // path=classic: the kernel side the twin reproduces (models/mm/classic.ts).
    const r = await check(await importDefinition(KVM, KVM), { params: { ...params, path: 'classic' } });
    const s = runSpin(params);
    expect(s.ok, s.ok ? '' : s.reason).toBe(true);
    if (!s.ok) return;
    expect(s.errors).toBe(0);
    expect(s.states).toBe(r.stats.distinctStates);
    // SPIN counts stored + matched, which includes the initial state once more.
    expect(s.transitions).toBe(r.stats.transitions + 1);
  }, 60_000);
});
