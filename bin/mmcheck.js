#!/usr/bin/env node
// mmcheck command-line entry: registers the tsx loader so TypeScript sources and user model
// files (.ts) load without a build step, then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
