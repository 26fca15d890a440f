#!/usr/bin/env node
// `ibs` runs from the TypeScript sources without a build step: register tsx's ESM loader, then load the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
