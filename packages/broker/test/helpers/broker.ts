// Brokers for tests: in this process (startTestBroker in a temp dir) or as a child process running
// the CLI (for SIGTERM and kill -9), always on 127.0.0.1.
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shareInternals } from '../../src/broker.ts'
import {
  type TestBroker as ProductTestBroker,
  startTestBroker as startProductTestBroker,
  type TestBrokerOptions,
} from '../../src/testing/index.ts'
import { LineChild, tail } from './child-process.ts'

export const REPO_ROOT = new URL('../../../../', import.meta.url).pathname
/** `runnel` from its sources (through tsx, the packages it imports from theirs too). */
const CLI = ['--conditions=runnel-source', '--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/bin.ts')]
/** `runnel` as built (dist/, `npm run build`): starts in a fraction of the time tsx takes. */
const BUILT_CLI = [join(REPO_ROOT, 'packages/cli/bin/runnel.js')]

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `runnel-${prefix}-`))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}

export interface TestBroker extends ProductTestBroker {
  readonly dataDir: string
  /** Closes the broker and removes its data directory. */
  dispose(): Promise<void>
}

/**
 * Starts a broker in this process with its data in a fresh temp dir: the package's own
 * startTestBroker (`@runnel/broker/testing`) on disk. `httpPort: 0` also serves /health and
 * /metrics. Its state is at hand through `brokerInternals(broker)` (src/broker.ts).
 */
export async function startTestBroker(
  options: Omit<TestBrokerOptions, 'dataDir' | 'http'> & { httpPort?: 0 } = {},
): Promise<TestBroker> {
  const dataDir = await makeTempDir('broker')
  try {
    const { httpPort, ...rest } = options
    const running = await startProductTestBroker({ ...rest, dataDir, http: httpPort === 0 })
    const broker: TestBroker = {
      ...running,
      dataDir,
      close: () => running.close(),
      async dispose() {
        try {
          await running.close()
        } finally {
          await removeDir(dataDir)
        }
      },
    }
    shareInternals(running, broker)
    return broker
  } catch (err) {
    await removeDir(dataDir)
    throw err
  }
}

/** A broker's /metrics as a map from series (name and labels, as printed) to value. */
export async function scrapeMetrics(httpPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const space = line.lastIndexOf(' ')
    values.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return values
}

/** A port that was free a moment ago (for a child broker that must keep its port over restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once something accepts TCP connections on host:port; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host })
      const done = (v: boolean) => {
        socket.destroy()
        resolve(v)
      }
      socket.once('connect', () => done(true))
      socket.once('error', () => done(false))
      socket.setTimeout(500, () => done(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`)
    await sleep(50)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export interface BrokerProcessOptions {
  port: number
  dataDir: string
  extraArgs?: string[]
  /** --log-level; default warn. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info'
  /** Bound on start-up (tsx compiles the sources on first run). */
  startTimeoutMs?: number
  /** Run the built CLI (dist/) rather than the sources through tsx; the caller builds first. */
  built?: boolean
}

/** The broker CLI as a child process: `runnel broker --port <p> --data-dir <d> --no-http`. */
export class BrokerProcess {
  readonly port: number
  readonly dataDir: string
  private constructor(
    readonly child: LineChild,
    options: BrokerProcessOptions,
  ) {
    this.port = options.port
    this.dataDir = options.dataDir
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  static async start(options: BrokerProcessOptions): Promise<BrokerProcess> {
    const args = [
      ...(options.built ? BUILT_CLI : CLI),
      'broker',
      '--port',
      String(options.port),
      '--data-dir',
      options.dataDir,
      '--no-http',
      '--log-level',
      options.logLevel ?? 'warn',
      ...(options.extraArgs ?? []),
    ]
    const child = new LineChild(process.execPath, args, { cwd: REPO_ROOT })
    const broker = new BrokerProcess(child, options)
    const timeoutMs = options.startTimeoutMs ?? 20_000
    try {
      await Promise.race([
        waitForPort(options.port, timeoutMs),
        child.exited.then(([code, signal]) => {
          throw new Error(
            `broker exited (${code ?? signal}) while starting\n${tail(child.stderr)}\n${child.lines.join('\n')}`,
          )
        }),
      ])
    } catch (err) {
      await child.kill('SIGKILL')
      throw err
    }
    return broker
  }

  /** SIGKILL by PID: no flush, no close — a crash. */
  async kill9(): Promise<void> {
    await this.child.kill('SIGKILL')
  }

  /** SIGTERM by PID and wait for a clean exit; SIGKILL after timeoutMs. Returns the exit code. */
  async terminate(timeoutMs = 15_000): Promise<number | null> {
    const timer = setTimeout(() => void this.child.kill('SIGKILL'), timeoutMs)
    try {
      await this.child.kill('SIGTERM')
      const [code] = await this.child.exited
      return code
    } finally {
      clearTimeout(timer)
    }
  }

  get output(): string {
    return `${this.child.lines.join('\n')}\n${this.child.stderr}`
  }
}
