// Child processes of the benchmark: each started here is remembered until it exits, so a
// failure or ^C ends every one of them by its PID; every wait on one is bounded.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const live = new Set<ChildProcess>()

/** Ends every child still running (SIGKILL, by PID), but `except` (stopped gracefully by its owner). */
export function killChildren(except?: number): void {
  for (const child of live) {
    if (
      child.pid !== undefined &&
      child.pid !== except &&
      child.exitCode === null &&
      child.signalCode === null
    ) {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
}

export interface Started {
  child: ChildProcess
  pid: number
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>
  stderr: () => string
}

export interface StartOptions {
  /** Called with each stdout line that parses as a JSON object. */
  onJson?: (line: Record<string, unknown>) => void
  /** Keeps stdin open as a pipe (the mock cluster serves until it closes). */
  stdinPipe?: boolean
  cwd?: string
}

export function start(command: string, args: readonly string[], options: StartOptions = {}): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`could not start ${command}`)
  live.add(child)
  let err = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-20_000)
  })
  const lines = createInterface({ input: child.stdout! })
  lines.on('line', (line) => {
    if (!line.startsWith('{')) return
    try {
      options.onJson?.(JSON.parse(line) as Record<string, unknown>)
    } catch {
      // not JSON after all: ignore
    }
  })
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child)
      resolve(code ?? signal ?? -1)
    })
    child.on('error', (e) => {
      live.delete(child)
      err += String(e)
      resolve(-1)
    })
  })
  // stdout has been read to its end once `exited` settles and readline has closed
  const closed = new Promise<void>((resolve) => lines.on('close', resolve))
  return {
    child,
    pid: child.pid,
    exited: exited.then(async (code) => {
      await Promise.race([closed, sleep(1000)])
      return code
    }),
    stderr: () => err,
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Waits for the child to end; past `timeoutMs` it is killed and this throws. */
export async function waitExit(started: Started, timeoutMs: number, what: string): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const result = await Promise.race([started.exited, timeout])
  clearTimeout(timer)
  if (result === 'timeout') {
    try {
      process.kill(started.pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
    await started.exited
    throw new Error(`${what}: no answer within ${timeoutMs / 1000} s (killed)\n${started.stderr()}`)
  }
  return result
}

export interface ToolRun {
  /** The last JSON line with a "mode" field: the tool's result. */
  result: Record<string, unknown>
  lines: Record<string, unknown>[]
}

/**
 * Runs a load generator to its end and returns its result line; `onJson` sees every line as it
 * comes (e.g. {"start":true} to take a snapshot when timing begins). Throws on a non-zero exit.
 */
export async function runTool(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  onJson?: (line: Record<string, unknown>) => void,
): Promise<ToolRun> {
  const lines: Record<string, unknown>[] = []
  const started = start(command, args, {
    onJson: (line) => {
      lines.push(line)
      onJson?.(line)
    },
  })
  const code = await waitExit(started, timeoutMs, `${command} ${args[0] ?? ''}`)
  const result = lines.filter((l) => 'mode' in l).at(-1)
  if (code !== 0 || !result) {
    throw new Error(`${command} ${args.join(' ')} ended with ${code}\n${started.stderr().trim()}`)
  }
  return { result, lines }
}
