// How the model travels from the coordinator to the nodes: the model file, everything it
// imports and the node's search code bundled into one JavaScript file by esbuild (as worker
// threads get theirs, src/workers/bundle.ts), sent in chunks under NATS's payload limit with
// the parameters; a node writes it to a temporary file, imports it and builds the model, then
// proves it is the coordinator's model (model-identity.ts) before the search starts.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SRC_DIR, ownModule } from '../package-layout.ts';
import { workerBundle } from '../workers/bundle.ts';
import type { NodeRun, RunSpec, SendBatch } from './node-search.ts';

/** Bytes of the bundle a chunk carries (NATS's default max payload is 1 MiB). */
export const CHUNK_BYTES = 512 * 1024;

/** The bundle for a model file, split into chunks, and its digest. */
export interface Shipment {
  readonly chunks: readonly Uint8Array[];
  readonly digest: string;
  readonly bytes: number;
}

/** Bundles `modelFile` with the node's search; throws when esbuild cannot. */
export async function shipment(modelFile: string): Promise<Shipment> {
  const entry = fileURLToPath(new URL(ownModule('cluster/node-search.ts'), SRC_DIR));
  const path = await workerBundle(modelFile, { file: entry, exports: 'openRun' });
  if (path === null) throw new Error(`cannot bundle '${modelFile}' for the nodes (esbuild failed, or the temporary directory is not writable): a cluster run ships the model as one bundle`);
  const bytes = readFileSync(path);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) chunks.push(bytes.subarray(at, at + CHUNK_BYTES));
  return { chunks, digest: createHash('sha256').update(bytes).digest('hex').slice(0, 16), bytes: bytes.length };
}

/** A bundle being received by a node, chunk by chunk. */
export class ShipmentReceiver {
  private readonly chunks: Uint8Array[] = [];

  /** Adds chunk `index` of `count`; true once all have come. */
  add(index: number, count: number, bytes: Uint8Array): boolean {
    this.chunks[index] = bytes.slice();
    return this.chunks.filter((c) => c !== undefined).length === count;
  }

  /** Writes the bundle to a temporary file, imports it and opens the run on this node. */
  async open(digest: string, spec: RunSpec, send: SendBatch): Promise<NodeRun> {
    const bytes = Buffer.concat(this.chunks);
    const got = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    if (got !== digest) throw new Error(`the model bundle arrived damaged (digest ${got}, the coordinator sent ${digest})`);
    const dir = join(tmpdir(), 'mmcheck-node');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${digest}-${process.pid}.mjs`);
    writeFileSync(file, bytes);
    try {
      const mod = (await import(pathToFileURL(file).href)) as { openRun: (spec: RunSpec, send: SendBatch) => NodeRun };
      return mod.openRun(spec, send);
    } finally {
      // Imported: the file is no longer needed.
      rmSync(file, { force: true });
    }
  }
}
