// The loaders a model file outside mmcheck's own compiled code needs, registered once, when the
// first such file is imported (load.ts) — or at start by bin/mmcheck-run.js when it runs the
// sources themselves: tsx, so a model written in TypeScript (.ts, .mts, .cts) loads without a
// build step, and after it (so they run first) the model-format hooks (model-format-hooks.mjs:
// a model's module format, and its 'mmcheck' the running one). Registering them costs every
// later import a round trip through Node's hooks thread, so a run of a built-in model from the
// run image (run-image.mjs) or from dist/ never registers them.
import { register as registerHooks } from 'node:module';

let registered = false;

/** Registers tsx and the model-format hooks in this thread, unless done already. */
export async function registerModelHooks() {
  if (registered) return;
  registered = true;
  const { register } = await import('tsx/esm/api');
  register();
  registerHooks('./model-format-hooks.mjs', import.meta.url);
}
