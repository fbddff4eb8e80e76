// The run image of a checkout (src/cli/run-image.mjs): mmcheck's own sources compiled once to
// plain JavaScript, reused while the sources are unchanged and rebuilt when one changes. Here
// on a small checkout of its own (src/ and models/ of a few modules), and then on the
// repository's: a model file outside the image that imports the engine's sources by relative
// path runs on the image's engine (one copy of its classes), with the sources' files in its
// stack traces.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runImage } from '../../src/cli/run-image.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

describe('the run image', () => {
  it('compiles src/ and models/ to JavaScript with their imports rewritten, reuses it, and rebuilds it when a source changes', async () => {
    const co = join(tmp, 'checkout');
    write(join(co, 'src/cli/main.ts'), "import { twice } from '../twice.ts';\nexport const answer: number = twice(21);\n");
    write(join(co, 'src/twice.ts'), 'export function twice(x: number): number {\n  return 2 * x;\n}\n');
    write(join(co, 'src/cli/helper.mjs'), 'export const plain = 1;\n');
    write(join(co, 'models/m.ts'), "export const model = (await import('../src/twice.ts')).twice(2);\n");
    mkdirSync(join(co, 'node_modules'));
    const first = await runImage(co);
    expect(first).not.toBeNull();
    expect(first!.startsWith(join(co, 'node_modules/.cache/mmcheck-image/'))).toBe(true);
    const main = readFileSync(join(first!, 'src/cli/main.js'), 'utf8');
    expect(main).toContain('from "../twice.js"');
    expect(main).toContain('sourceMappingURL=data:application/json');
    expect(readFileSync(join(first!, 'src/cli/helper.mjs'), 'utf8')).toBe('export const plain = 1;\n');
    expect((await import(pathToFileURL(join(first!, 'src/cli/main.js')).href)).answer).toBe(42);
    expect((await import(pathToFileURL(join(first!, 'models/m.js')).href)).model).toBe(4);
    // Unchanged sources: the same image. An edit: a new one, the old kept (a run may use it).
    expect(await runImage(co)).toBe(first);
    write(join(co, 'src/twice.ts'), 'export function twice(x: number): number {\n  return x + x + 1;\n}\n');
    const second = await runImage(co);
    expect(second).not.toBe(first);
    expect((await import(pathToFileURL(join(second!, 'src/cli/main.js')).href)).answer).toBe(43);
    expect(existsSync(first!)).toBe(true);
  });

  it('is null where it cannot be built (no node_modules to keep it in is created)', async () => {
    const co = join(tmp, 'bare');
    write(join(co, 'src/cli/main.ts'), 'export {};\n');
    mkdirSync(join(co, 'models'));
    write(join(co, 'node_modules'), 'a file, not a directory');
    expect(await runImage(co)).toBeNull();
  });

  it("a model importing the engine's sources by relative path runs on the image's engine, its errors located in the sources", () => {
    const model = join(root, 'test/fixtures/throwing-step.ts');
    const r = spawnSync(process.execPath, [join(root, 'bin/mmcheck.js'), 'check', model, '--workers', '1', '--debug', '--no-color'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    // The step's error is the model's (a ModelError of the same engine that runs the search),
    // and the stack names the sources' files, not the image's.
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("mmcheck: error: model 'throwing-step', thread 'driver', step 'map': effect threw: RangeError: spte index out of range");
    expect(r.stderr).toContain(`${join(root, 'src/model/dsl.ts')}:`);
    expect(r.stdout + r.stderr).not.toContain('mmcheck-image');
  });
});
