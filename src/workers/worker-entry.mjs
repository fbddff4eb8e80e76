// Worker-thread entry for piscina: registers the tsx loader (so users' model files, and the
// repository's TypeScript sources, load without a build step) and the model-format hook, then
// exposes the task handler: worker.ts beside this file in the repository, worker.js in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { register as registerHooks } from 'node:module';

register();
registerHooks('../cli/model-format-hooks.mjs', import.meta.url);
const sources = new URL('./worker.ts', import.meta.url);
const { runTask } = await import(existsSync(fileURLToPath(sources)) ? sources.href : new URL('./worker.js', import.meta.url).href);
export default runTask;
