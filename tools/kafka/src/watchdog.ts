// The nodes must not outlive the process that started them, even when it is killed before it
// can call close() (a test runner's timeout, Ctrl-C twice): a small detached Node process
// watches the parent and, once it is gone, stops the nodes by PID and removes their folder.
import { type ChildProcess, spawn } from 'node:child_process'

const REAPER = new URL('reaper.mjs', import.meta.url).pathname

/** Starts the watchdog over `pids`; it exits by itself once they have all exited. */
export function startWatchdog(pids: readonly number[], dir: string | undefined): ChildProcess {
  const child = spawn(process.execPath, [REAPER, String(process.pid), dir ?? '', ...pids.map(String)], {
    detached: true,
    stdio: 'ignore',
  })
  child.unref()
  return child
}
