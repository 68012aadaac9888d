/**
 * The help text of each subcommand, printed by `--help` and named by usage errors.
 *
 * @internal
 */
export const CLI_USAGE = {
  main: `Usage: nestjs-heartbeat [command] [options]

Commands:
  serve      run the heartbeat server (the default; configured by HB_* variables)
  check      Nagios/Check_mk plugin: print the status line, exit 0/1/2/3
  wrap       run a command, sending heartbeats while it runs
  init       register an application (hb_init), print the server's delay
  ping       send one heartbeat (hb_ping), print the server's delay
  done       deregister an application (hb_done), print the goodbye
  list       print the known application IDs, one a line
  status     print a status line, exit like check

Run 'nestjs-heartbeat <command> --help' for the options of each.
--url defaults to $HB_URL and --token to $HB_TOKEN.`,

  serve: `Usage: nestjs-heartbeat [serve]

Runs the standalone heartbeat server, exactly as 'node dist/main.js' does.
Configured by environment variables: HB_HOST (127.0.0.1), HB_PORT (8888) or HB_URL,
HB_TOLERANCE_MS, HB_WARN_THRESHOLD, HB_CRIT_THRESHOLD, HB_DROP_THRESHOLD, HB_MAX_APPS,
REDIS_URL, HB_ADAPTER and the others listed in the README. SIGTERM/SIGINT stop it cleanly.`,

  check: `Usage: nestjs-heartbeat check --url URL [--appid ID] [--timeout SECONDS] [--token T]

Nagios/Check_mk plugin. Prints the server's status line for ID (or for the server as a
whole without --appid) and exits by its first word:
  OK 0, WARNING 1, CRITICAL 2, anything else 3.
Unreachable server, no answer within --timeout (default 10 s), a non-2xx answer or an answer
that is not a status line: one 'UNKNOWN - ...' line, exit 3. Usage errors also exit 3.

  --url URL          base URL of the heartbeat server ($HB_URL)
  --appid ID         the application to check
  --timeout SECONDS  longest wait for the answer (default 10)
  --token T          sent as 'Authorization: Bearer T' ($HB_TOKEN)`,

  wrap: `Usage: nestjs-heartbeat wrap --url URL --appid ID --timeout MS [--token T] -- command [args...]

Runs the command, registered as ID while it runs: hb_init when it starts, hb_ping every
MS/2 (with jitter), hb_done when it ends. SIGINT, SIGTERM and SIGHUP are passed on to it.
Exits with the command's exit code, or 128 + the signal number when a signal ended it.
An unreachable heartbeat server never stops or delays the command: the first failure is
reported on stderr and heartbeats are retried. Usage errors exit 2, a command that cannot be
started 127 (not found) or 126.

  --url URL      base URL of the heartbeat server ($HB_URL)
  --appid ID     the ID to register the command as
  --timeout MS   the promise: the next heartbeat comes within MS milliseconds (at least 100)
  --token T      sent as 'Authorization: Bearer T' ($HB_TOKEN)`,

  init: commandUsage(
    'init',
    "Registers ID (hb_init): it is not late before MS milliseconds (default 0) have passed.\nPrints the server's delay T (MS plus its tolerance).",
  ),
  ping: commandUsage(
    'ping',
    "Sends one heartbeat for ID (hb_ping), promising the next within MS milliseconds\n(default 0). An ID the server does not know is registered. Prints the server's delay T.",
  ),
  done: commandUsage(
    'done',
    "Deregisters ID (hb_done); MS (default 0) is the time until it has stopped.\nPrints the server's goodbye.",
  ),

  list: `Usage: nestjs-heartbeat list --url URL [--token T]

Prints the IDs the server knows, one a line. Exit 0, or 1 with an ERROR line on stderr;
usage errors exit 2.

  --url URL   base URL of the heartbeat server ($HB_URL)
  --token T   sent as 'Authorization: Bearer T' ($HB_TOKEN)`,

  status: `Usage: nestjs-heartbeat status --url URL [--appid ID] [--token T]

Prints the status line of ID (or of the server as a whole) and exits like check:
OK 0, WARNING 1, CRITICAL 2, anything else 3. A failed request prints an ERROR line on
stderr and exits 3; usage errors exit 2.

  --url URL   base URL of the heartbeat server ($HB_URL)
  --appid ID  the application to ask about
  --token T   sent as 'Authorization: Bearer T' ($HB_TOKEN)`,
} as const;

/** A subcommand of `nestjs-heartbeat`. @internal */
export type CliCommand = Exclude<keyof typeof CLI_USAGE, 'main'>;

function commandUsage(name: string, text: string): string {
  return `Usage: nestjs-heartbeat ${name} --url URL --appid ID [--timeout MS] [--token T]

${text}
Exit 0, or 1 with an ERROR line on stderr; usage errors exit 2.

  --url URL     base URL of the heartbeat server ($HB_URL)
  --appid ID    the application ID
  --timeout MS  TIMEOUT sent to the server, in milliseconds (default 0)
  --token T     sent as 'Authorization: Bearer T' ($HB_TOKEN)`;
}
