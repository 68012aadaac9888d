/** Variables a child process needs to find programs and a home, and nothing else. */
const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT'] as const;

/**
 * The environment of a process a test starts: `PATH` (and `HOME`, `TMPDIR`), `NO_COLOR=1` and
 * exactly the variables given, never a copy of the runner's environment. A `REDIS_URL`, `HB_*`
 * or `NODE_OPTIONS` exported in the user's shell would otherwise reach the child and, for a
 * server, point it at the user's own data.
 */
export function childEnv(
  vars: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...vars };
}
