#!/usr/bin/env node
// Registers tsx in this process so `npx freetumor` runs the TypeScript CLI without a build step,
// and signals (Ctrl-C during training) reach the CLI directly rather than a wrapper.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/node/cli.ts');
process.exitCode = await main(process.argv.slice(2));
