// The search across processes over NATS (src/cluster/): a nats-server on a free loopback
// port and node processes on this machine, started here and stopped after. The answer must
// equal one machine's — states, transitions, depth, verdict, and the same counterexample,
// which `mmcheck replay` confirms — on 1, 2 and 3 nodes; a node killed mid-run ends the run
// with exit 3 and a line naming it, within seconds. Skipped (with a message) without
// nats-server, as the SPIN tests are without spin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/cluster.ts';
import { Cluster, mmcheck, natsServer } from './cluster-fixture.ts';

if (!natsServer) console.warn('test/cluster: nats-server is not installed (Debian: apt-get install nats-server): the cluster tests are skipped');

const KVM_222 = ['kvm', '-p', 'path=classic', '-p', 'addresses=2', '-p', 'faults=2', '-p', 'attempts=2', '--no-liveness'];

const cluster = new Cluster();
let url = '';
let dir = '';

/** The output without what depends on timing or on the processes (rates, memory, worker and node counts). */
function answer(out: string): string {
  return out
    .split('\n')
    .filter((l) => !/states\/s|^cluster: /.test(l))
    .join('\n');
}

describe.skipIf(!natsServer)('check --cluster over NATS', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mmcheck-cluster-test-'));
    await cluster.start(3);
    url = cluster.url;
  }, 30_000);

  afterAll(() => {
    cluster.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const n of [1, 2, 3]) {
    it(`kvm 2/2/2 on ${n} node${n === 1 ? '' : 's'}: 324,352 states, 903,374 transitions, depth 49, as on one machine`, async () => {
      const r = await mmcheck(['check', ...KVM_222, '--cluster', url, '--nodes', String(n)]);
      expect(r.err).not.toMatch(/error/);
      expect(r.code).toBe(0);
      expect(r.out).toContain('324,352 distinct states, 903,374 transitions, depth 49');
      expect(r.out).toMatch(new RegExp(`cluster: ${n} nodes? over NATS, [\\d.]+ MiB of successors sent between them`));
    }, 60_000);
  }

  // range-start-only: the driver clears its SPTE in invalidate_range_start only, with no
  // sequence check, so a fault racing the unmap maps a page that is then freed: 'no
  // use-after-free' breaks after 8 steps with 3 preemptions (models/drivers). Every node
  // count must print one machine's trace and figures (cut at the violating state) — and with
  // --all-properties every violated property's — and the JSON must replay.
  for (const extra of [[], ['--all-properties']]) {
    it(`a violated model${extra.length > 0 ? ' with --all-properties' : ''} gives one machine's output (traces and figures) on 1, 2 and 3 nodes, and its counterexample replays`, async () => {
      const one = await mmcheck(['check', 'range-start-only', '--no-liveness', '--workers', '1', ...extra]);
      expect(one.code).toBe(1);
      expect(one.out).toContain("Counterexample for 'no use-after-free': 8 steps, 3 preemptions");
      for (const n of [1, 2, 3]) {
        const json = join(dir, `range-start-only-${n}.json`);
        const r = await mmcheck(['check', 'range-start-only', '--no-liveness', '--cluster', url, '--nodes', String(n), '--json', json, ...extra]);
        expect(r.code).toBe(1);
        expect(answer(r.out)).toBe(answer(one.out));
        const replay = await mmcheck(['replay', json]);
        expect(replay.code, replay.err).toBe(0);
        expect(replay.out).toMatch(/confirmed: range-start-only: all 8 steps replay and 'no use-after-free' is violated/);
      }
    }, 60_000);
  }

  // --max-states cuts the level at the transition that finds state N + 1, --max-depth at a
  // depth, --symmetry keys states by their representative: each must cut or count where
  // one machine does.
  for (const extra of [['--max-states', '100000', '--symmetry'], ['--max-depth', '20']]) {
    it(`${extra.join(' ')} on 2 nodes stops with one machine's figures`, async () => {
      const one = await mmcheck(['check', ...KVM_222, '--workers', '1', ...extra]);
      const r = await mmcheck(['check', ...KVM_222, '--cluster', url, '--nodes', '2', ...extra]);
      expect(r.code).toBe(one.code);
      // Incomplete: the limit was reached.
      expect(r.code).toBe(3);
      expect(answer(r.out)).toBe(answer(one.out));
    }, 60_000);
  }

  it('refuses what a cluster run cannot honour with one line and exit 2', async () => {
    const r = await mmcheck(['check', ...KVM_222, '--cluster', url, '--por']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('--cluster does not combine with --por');
    const bad = await mmcheck(['check', ...KVM_222, '--cluster', 'http://x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--cluster wants nats://HOST:PORT');
  }, 30_000);

  it('no NATS server at the address: one line saying so, exit 3, at once', async () => {
    const port = await freePort();
    const r = await mmcheck(['check', ...KVM_222, '--cluster', `nats://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(new RegExp(`^incomplete: kvm: cannot reach the NATS server at nats://127\\.0\\.0\\.1:${port}: `, 'm'));
    expect(r.ms).toBeLessThan(10_000);
  }, 30_000);

  it('waits for --nodes with a timeout, then says how many joined (exit 3)', async () => {
    const r = await mmcheck(['check', ...KVM_222, '--cluster', url, '--nodes', '5', '--join-timeout', '1']);
    expect(r.code).toBe(3);
    expect(r.out + r.err).toMatch(/waited 1 s for 5 nodes on nats:\/\/127\.0\.0\.1:\d+: 3 joined/);
  }, 30_000);

  // Last: it kills one of the nodes. kvm 2/2/5 takes several seconds on three nodes; a node
  // killed half a second after it built the model leaves its partition's states nowhere:
  // the run must end incomplete, naming the node, within seconds, never hang or answer.
  it('a node killed mid-run ends the run with exit 3 and a line naming it, within seconds', async () => {
    const kill = cluster.killAfterBuild(cluster.nodes[0]);
    const r = await mmcheck(['check', 'kvm', '-p', 'path=classic', '-p', 'addresses=2', '-p', 'faults=2', '-p', 'attempts=5', '--no-liveness', '--cluster', url, '--nodes', '3']);
    kill.stop();
    const killedAt = kill.killedAt();
    expect(killedAt).toBeGreaterThan(0);
    expect(r.code, r.out + r.err).toBe(3);
    expect(r.out).toMatch(/incomplete: kvm: node \S+ (is gone|does not answer|stopped answering|stopped taking batches in)/);
    expect(r.out).toMatch(/distinct states, [\d,]+ transitions, depth \d+/);
    expect(r.out).not.toContain('holds:');
    // Within seconds of the kill (the silence allowed is 5 s).
    expect(performance.now() - killedAt).toBeLessThan(8000);
  }, 60_000);
});
