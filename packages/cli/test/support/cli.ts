// Runs the real `runnel` command as a child process, from its sources (src/bin.ts through tsx;
// users run bin/runnel.js, the built package, which test/pack.test.ts checks), against
// a real broker started in the test on 127.0.0.1. Every child is tracked by PID and killed in
// `killAll()` (call it from after()), so a failing test never leaves one behind.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '@platformatic/kafka'
import { type RunningBroker, startBroker } from '@runnel/broker'

const SOURCE_BIN = new URL('../../src/bin.ts', import.meta.url).pathname
/** node's arguments before runnel's: the sources, and the sources of the packages it imports. */
export const BIN_ARGS = ['--conditions=runnel-source', '--import', 'tsx', SOURCE_BIN]

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  /** stdout as bytes, for binary output. */
  stdoutBytes: Buffer
  stderr: string
}

const children = new Set<ChildProcess>()

export interface RunOptions {
  stdin?: string | Buffer
  env?: Record<string, string | undefined>
  /** The child is killed (and the test fails) after this long. Default 60 s. */
  timeoutMs?: number
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // A KAFKA_BROKERS from the machine must not leak into a test's command line.
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: undefined, FORCE_COLOR: '0' }
  for (const [k, v] of Object.entries(extra)) env[k] = v
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return env
}

/** A long-running command (consume without --count): the caller stops it. */
export function start(args: string[], options: RunOptions = {}) {
  return startProcess(process.execPath, [...BIN_ARGS, ...args], options)
}

/**
 * `runnel <args>` inside a pseudo-terminal (util-linux `script`), stdin from a file: for
 * what only a terminal sees, such as the progress bar. The output is the terminal's.
 */
export function inTerminal(args: string[], stdinFile: string, options: RunOptions = {}): Promise<RunResult> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`
  const command = `${[process.execPath, ...BIN_ARGS, ...args].map(quote).join(' ')} < ${quote(stdinFile)}`
  return startProcess('script', ['-q', '-e', '-c', command, '/dev/null'], options).done
}

function startProcess(file: string, argv: string[], options: RunOptions) {
  const args = argv
  const child = spawn(file, argv, {
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  children.add(child)
  const chunks: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d)
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  child.stdin.on('error', () => {})
  if (options.stdin !== undefined) child.stdin.end(options.stdin)
  else child.stdin.end()
  const timeoutMs = options.timeoutMs ?? 60_000
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      reject(
        new Error(
          `runnel ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${Buffer.concat(chunks)}\nstderr: ${stderr}`,
        ),
      )
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      const stdoutBytes = Buffer.concat(chunks)
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr })
    })
    child.on('error', reject)
  })
  return {
    child,
    done,
    get stdout() {
      return Buffer.concat(chunks).toString('utf8')
    },
    get stderr() {
      return stderr
    },
  }
}

/** Runs `runnel <args>` to the end. */
export function runnel(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return start(args, options).done
}

export function killAll(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {}
    }
  }
  children.clear()
}

export interface TestBroker {
  broker: RunningBroker
  /** `--brokers 127.0.0.1:<port>` for a command line. */
  flag: string[]
  /** An admin client in the test process, for setup that is not what a test is about. */
  admin: Admin
  close(): Promise<void>
}

/**
 * A broker on 127.0.0.1 with the given topics (name -> partitions) already created. Each CLI
 * run costs a second of CPU (loading the client), so setup goes through `admin` instead.
 */
export async function testBroker(topics: Record<string, number> = {}): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-cli-test-'))
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' })
  const admin = new Admin({ clientId: 'cli-test', bootstrapBrokers: [broker.bootstrap] })
  for (const [name, partitions] of Object.entries(topics))
    await admin.createTopics({ topics: [name], partitions })
  return {
    broker,
    flag: ['--brokers', broker.bootstrap],
    admin,
    async close() {
      await admin.close()
      await broker.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** How long a command waits for an answer when --timeout is not given (see args.ts). */
export const DEFAULT_TIMEOUT_MS = 10_000

/** A server on 127.0.0.1 that accepts connections and never answers: a hung broker or registry. */
export interface HungServer {
  readonly port: number
  /**
   * When the first connection came (Date.now()). A command's wait is timed from here, not from
   * its start: starting `runnel` costs seconds of CPU on a loaded machine, waiting does not.
   */
  readonly firstConnectionAt: number | undefined
  close(): Promise<void>
}

export async function hungServer(): Promise<HungServer> {
  const sockets = new Set<Socket>()
  let firstConnectionAt: number | undefined
  const server = createServer((socket) => {
    firstConnectionAt ??= Date.now()
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    get firstConnectionAt() {
      return firstConnectionAt
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/**
 * Milliseconds from the command's first connection to `hung` until now (it has just exited);
 * fails if it never connected.
 */
export function waitedAfterConnecting(hung: HungServer): number {
  if (hung.firstConnectionAt === undefined) throw new Error(`nothing connected to 127.0.0.1:${hung.port}`)
  return Date.now() - hung.firstConnectionAt
}

/** The one-line, no-stack-trace error output every failing command must give. */
export function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n')
  if (lines.length !== 1 || /^\s+at /m.test(stderr)) {
    throw new Error(`expected one line on stderr, got:\n${stderr}`)
  }
  return lines[0]
}
