/**
 * What a command may touch besides the network: its output lines and its environment. The
 * runner is given the process's; tests give their own.
 *
 * @internal
 */
export interface CliIo {
  /** Writes one line to standard output. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}
