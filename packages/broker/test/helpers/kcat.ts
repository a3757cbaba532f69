// Debian's kcat 1.7 (librdkafka 2.0.2) as a child process.
import { type RunResult, runChecked } from './child-process.ts'

export const KCAT = '/usr/bin/kcat'

/** Runs kcat with `-b bootstrap` and the given arguments; fails unless it exits 0 in time. */
export function kcat(
  bootstrap: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return runChecked(KCAT, ['-b', bootstrap, '-X', 'broker.address.family=v4', ...args], {
    input: options.input,
    timeoutMs: options.timeoutMs ?? 30_000,
  })
}
