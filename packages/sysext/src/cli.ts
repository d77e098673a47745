#!/usr/bin/env node
// The `bakery` command. The argument parsing lives in ./cli/, the work in the library.
import { main } from './cli/main.js';

await main();
