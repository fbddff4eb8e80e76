// The price of the network path: a cluster run (`check --cluster`, docs/cluster.md) of one
// configuration on N node processes of this machine, over a nats-server started here on a
// free loopback port, beside one mmcheck process with as many workers. Used by
// bench/throughput.ts on kvm 2/2/5 (`npm run bench`); alone:
// `node bin/run-ts.js bench/cluster.ts [--only=A,F,T] [--nodes=N]`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A cluster run's figures (from its --json). */
export interface ClusterRun {
  readonly status: string;
  readonly states: number;
  readonly transitions: number;
  readonly searchSeconds: number;
  readonly processSeconds: number;
  readonly statesPerSecond: number;
  readonly bytesSent: number;
  readonly bytesPerState: number;
}

/** True when nats-server can be run here. */
export function natsServerInstalled(): boolean {
  return spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** A free loopback port (the kernel's pick, released for nats-server to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something listens on loopback port `port`. */
export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server did not listen on port ${port}`);
}

/** A node process (its own process group: the supervisor and the node), ready once it says so. */
function startNode(url: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, [join(ROOT, 'bin/mmcheck.js'), 'node', '--cluster', url], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let text = '';
    p.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('waiting for a run')) resolve(p);
    });
    p.once('exit', (code) => reject(new Error(`a node exited with ${code}: ${text}`)));
  });
}

function killGroup(p: ChildProcess): void {
  try {
    process.kill(-p.pid!, 'SIGKILL');
  } catch {
    // gone
  }
}

/**
 * Checks `model` with `params` (safety only) on `nodes` node processes over a fresh
 * nats-server; the server and nodes are started before the clock starts and stopped after.
 */
export async function clusterRun(model: string, params: Readonly<Record<string, number | string>>, nodes: number): Promise<ClusterRun> {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const started: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-bench-cluster-'));
  try {
    await waitForPort(port);
    for (let k = 0; k < nodes; k++) started.push(await startNode(url));
    const json = join(dir, 'result.json');
    const t0 = performance.now();
    try {
      execFileSync(process.execPath, [join(ROOT, 'bin/mmcheck.js'), 'check', model, ...Object.entries(params).flatMap(([k, v]) => ['-p', `${k}=${v}`]), '--no-liveness', '--cluster', url, '--nodes', String(nodes), '--json', json, '--no-color', '--progress', '3600'], { stdio: 'ignore' });
    } catch (e) {
      if ((e as { status?: number }).status !== 1 && (e as { status?: number }).status !== 3) throw e;
    }
    const processSeconds = (performance.now() - t0) / 1000;
    const r = JSON.parse(readFileSync(json, 'utf8')) as { status: string; stats: { distinctStates: number; transitions: number; elapsedMs: number; statesPerSecond: number; cluster?: { bytesSent: number } } };
    const bytesSent = r.stats.cluster?.bytesSent ?? 0;
    return {
      status: r.status,
      states: r.stats.distinctStates,
      transitions: r.stats.transitions,
      searchSeconds: r.stats.elapsedMs / 1000,
      processSeconds,
      statesPerSecond: r.stats.statesPerSecond,
      bytesSent,
      bytesPerState: r.stats.distinctStates > 0 ? bytesSent / r.stats.distinctStates : 0,
    };
  } finally {
    for (const p of started) killGroup(p);
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// Alone: one cluster run, printed.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? '2,2,5';
  const nodes = Number(process.argv.find((a) => a.startsWith('--nodes='))?.slice('--nodes='.length) ?? 2);
  const [addresses, faults, attempts] = only.split(',').map(Number);
  const r = await clusterRun('kvm', { addresses, faults, attempts, path: 'classic' }, nodes);
  console.log(`kvm ${only} on ${nodes} nodes over NATS: ${r.status}, ${r.states.toLocaleString('en-US')} states, ${r.transitions.toLocaleString('en-US')} transitions, search ${r.searchSeconds.toFixed(2)} s, process ${r.processSeconds.toFixed(2)} s, ${Math.round(r.statesPerSecond).toLocaleString('en-US')} states/s, ${(r.bytesSent / 2 ** 20).toFixed(1)} MiB sent, ${r.bytesPerState.toFixed(1)} B sent/state`);
}
