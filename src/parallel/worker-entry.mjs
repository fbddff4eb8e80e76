// Worker-thread entry for piscina: registers the tsx loader (so the TypeScript worker and the
// model files it imports load without a build step), then exposes the task handler.
import { register } from 'tsx/esm/api';
import { register as registerHooks } from 'node:module';

register();
registerHooks('../cli/model-format-hooks.mjs', import.meta.url);
const { runTask } = await import('./worker.ts');
export default runTask;
