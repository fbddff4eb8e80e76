// `mmcheck swarm --cluster`: the jobs of a swarm run on node processes over NATS (a
// nats-server on a free loopback port and two nodes, started here and stopped after). Each
// job is the same job as on one machine (the same seed and order give the same states), a
// counterexample replays, and a node killed mid-swarm ends it with exit 3 naming the node.
// Skipped (with a message) without nats-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/cluster.ts';
import { Cluster, mmcheck, natsServer } from './cluster-fixture.ts';

if (!natsServer) console.warn('test/cluster: nats-server is not installed (Debian: apt-get install nats-server): the cluster swarm tests are skipped');

const cluster = new Cluster();
let url = '';
let dir = '';

/** The job rows (order, seed, states, transitions, depth, cut, steps, ended), without the times. */
const rows = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^ +\d+ +(model|reverse|random) /.test(l))
    .map((l) => l.replace(/ +[\d.]+ s /, ' '));

describe.skipIf(!natsServer)('swarm --cluster over NATS', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mmcheck-swarm-cluster-'));
    await cluster.start(2);
    url = cluster.url;
  }, 30_000);

  afterAll(() => {
    cluster.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('every job on the nodes is the job one machine runs: the same rows, the same verdict', async () => {
    const args = ['swarm', 'kvm', '-p', 'addresses=2', '--jobs', '4', '--seed', '21', '--no-typecheck'];
    const local = await mmcheck(args);
    const r = await mmcheck([...args, '--cluster', url, '--nodes', '2']);
    expect(r.code, r.err).toBe(0);
    expect(local.code).toBe(0);
    expect(rows(r.out)).toHaveLength(4);
    expect(rows(r.out)).toEqual(rows(local.out));
    expect(r.out).toContain('4 jobs on the nodes of the cluster');
  }, 60_000);

  it('a counterexample found on a node stops the swarm (exit 1) and replays', async () => {
    const json = join(dir, 'swarm.json');
    const r = await mmcheck(['swarm', 'range-start-only', '--jobs', '6', '--seed', '5', '--cluster', url, '--nodes', '2', '--json', json, '--no-typecheck']);
    expect(r.code, r.err).toBe(1);
    const property = /^Counterexample for '([^']+)'/.exec(r.out)?.[1];
    expect(property).toBeDefined();
    expect(r.out).toMatch(/found by job \d of 6/);
    const replay = await mmcheck(['replay', json]);
    expect(replay.code, replay.err).toBe(0);
    expect(replay.out).toContain(`'${property}' is violated`);
  }, 60_000);

  it('--workers and the cluster flags without --cluster are refused (exit 2, one line)', async () => {
    const a = await mmcheck(['swarm', 'kvm', '--cluster', url, '--workers', '2']);
    expect([a.code, a.err.trim()]).toEqual([2, 'mmcheck: error: --cluster does not combine with --workers: the jobs run on the nodes, one at a time each']);
    const b = await mmcheck(['swarm', 'kvm', '--nodes', '2']);
    expect([b.code, b.err.trim()]).toEqual([2, 'mmcheck: error: --nodes applies to --cluster runs only']);
  }, 30_000);

  it('no NATS server at the address: one line saying so, exit 3', async () => {
    const port = await freePort();
    const r = await mmcheck(['swarm', 'kvm', '--cluster', `nats://127.0.0.1:${port}`, '--no-typecheck']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(new RegExp(`^incomplete: kvm: cannot reach the NATS server at nats://127\\.0\\.0\\.1:${port}: `, 'm'));
  }, 30_000);

  // Last: it kills a node. Four jobs of kvm 2/2/5 take several seconds each.
  it('a node killed mid-swarm ends it with exit 3 and a line naming it, within seconds', async () => {
    const kill = cluster.killAfterBuild(cluster.nodes[0]);
    const r = await mmcheck(['swarm', 'kvm', '-p', 'path=classic', '-p', 'addresses=2', '-p', 'faults=2', '-p', 'attempts=5', '--jobs', '4', '--max-states', '3000000', '--cluster', url, '--nodes', '2', '--no-typecheck']);
    kill.stop();
    const killedAt = kill.killedAt();
    expect(killedAt).toBeGreaterThan(0);
    expect(r.code, r.out + r.err).toBe(3);
    expect(r.out).toMatch(/incomplete: kvm: node \S+ (is gone|does not answer|stopped answering)[^\n]*: the swarm stopped with \d+ jobs? done/);
    expect(performance.now() - killedAt).toBeLessThan(8000);
  }, 60_000);
});
