// What the cluster tests share: a nats-server on a free loopback port, node processes
// started on it (each in its own process group, so a kill ends its supervisor and the node),
// their status lines, and mmcheck runs that go on while the nodes work.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../bench/cluster.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** True when nats-server is installed (the tests are skipped, with a message, without it). */
export const natsServer = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).status === 0;

/** Kills a node's process group (the supervisor and the node). */
export function killGroup(p: ChildProcess): void {
  try {
    process.kill(-p.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs mmcheck to its end (asynchronously: the nodes run meanwhile). */
export function mmcheck(args: readonly string[], onStart?: (p: ChildProcess) => void): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const t0 = performance.now();
  const p = spawn(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  onStart?.(p);
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, out, err, ms: performance.now() - t0 })));
}

/** A nats-server and the nodes started on it. */
export class Cluster {
  url = '';
  private server?: ChildProcess;
  readonly nodes: ChildProcess[] = [];
  /** What each node has said (its status lines). */
  readonly said = new Map<ChildProcess, string>();

  /** Starts nats-server and `n` nodes; resolves once every node waits for a run. */
  async start(n: number): Promise<void> {
    const port = await freePort();
    this.url = `nats://127.0.0.1:${port}`;
    this.server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await waitForPort(port);
    await Promise.all(Array.from({ length: n }, () => this.startNode()));
  }

  /** Starts a node process; resolves once it says it is connected. */
  startNode(): Promise<ChildProcess> {
    const p = spawn(process.execPath, ['bin/mmcheck.js', 'node', '--cluster', this.url], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.nodes.push(p);
    return new Promise((resolve, reject) => {
      let text = '';
      p.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        this.said.set(p, text);
        if (text.includes('waiting for a run')) resolve(p);
      });
      p.once('exit', (code) => reject(new Error(`node exited with ${code}: ${text}`)));
    });
  }

  /**
   * Kills `victim` half a second after it next says it built a model; returns when it was
   * seen building (0 until then) and a function that stops watching.
   */
  killAfterBuild(victim: ChildProcess): { killedAt: () => number; stop: () => void } {
    const runs = (this.said.get(victim) ?? '').split('built').length;
    let killedAt = 0;
    const watch = setInterval(() => {
      if (killedAt === 0 && (this.said.get(victim) ?? '').split('built').length > runs) {
        killedAt = performance.now();
        setTimeout(() => killGroup(victim), 500);
      }
    }, 20);
    return { killedAt: () => killedAt, stop: () => clearInterval(watch) };
  }

  /** Kills every node and the server. */
  stop(): void {
    for (const p of this.nodes) killGroup(p);
    this.server?.kill('SIGKILL');
  }
}
