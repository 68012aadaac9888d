#!/usr/bin/env node
// The `nestjs-heartbeat` command: the standalone server (`serve`, the default), the Nagios check,
// the command wrapper and one-shot protocol commands. See `nestjs-heartbeat --help`.
import { runCli } from './cli/cli.runner.js';

const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
if (code !== undefined) process.exitCode = code;
