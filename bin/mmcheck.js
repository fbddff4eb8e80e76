#!/usr/bin/env node
// mmcheck command-line entry: registers the tsx loader so TypeScript sources and user model
// files (.ts) load without a build step, then hands over to the CLI.
import { register } from 'tsx/esm/api';
import { register as registerHooks } from 'node:module';

register();
// After tsx's, so it runs first: a user's .ts model loads as an ES module in any package.
registerHooks('../src/cli/model-format-hooks.mjs', import.meta.url);
await import('../src/cli/main.ts');
