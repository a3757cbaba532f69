// The Runnel broker under test, in its own process (`runnel broker`), so clients and broker
// never share an event loop. Started on free ports with a fresh data directory; ended by PID.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processTimes } from './proc-stats.ts'
import { type Started, sleep, start, waitExit } from './processes.ts'

export interface BrokerProcess {
  pid: number
  bootstrap: string
  httpPort: number
  dataDir: string
  /** Ends the broker (SIGTERM, then SIGKILL after 30 s) and removes its data directory unless told to keep it. */
  stop(options?: { keepData?: boolean }): Promise<void>
  /** CPU profiles written by the broker with --profile, after stop(). */
  profiles(): string[]
}

/** A port nothing listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

export interface StartBrokerOptions {
  repoRoot: string
  /** A directory for `node --cpu-prof`; no profile when absent. */
  profileDir?: string
  /** A restart: this data directory (kept) and these ports instead of fresh ones. */
  restart?: { dataDir: string; port: number; httpPort: number }
}

export async function startRunnel(options: StartBrokerOptions): Promise<BrokerProcess> {
  const { port, httpPort } = options.restart ?? { port: await freePort(), httpPort: await freePort() }
  const dataDir = options.restart?.dataDir ?? mkdtempSync(join(tmpdir(), 'runnel-bench-'))
  const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []
  const started: Started = start(
    process.execPath,
    [
      ...nodeArgs,
      join(options.repoRoot, 'packages/cli/bin/runnel.js'),
      'broker',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--http-port',
      String(httpPort),
      '--log-level',
      'warn',
    ],
    { cwd: options.repoRoot },
  )
  let exited: number | string | undefined
  started.exited.then((code) => {
    exited = code
  })
  const stop = async (stopOptions: { keepData?: boolean } = {}): Promise<void> => {
    if (exited === undefined) {
      try {
        process.kill(started.pid, 'SIGTERM')
      } catch {
        // gone already
      }
      try {
        await waitExit(started, 30_000, 'runnel broker (stopping)')
      } catch (err) {
        process.stderr.write(`${(err as Error).message.split('\n')[0]}\n`)
      }
    }
    if (!stopOptions.keepData) rmSync(dataDir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited !== undefined) {
      rmSync(dataDir, { recursive: true, force: true })
      throw new Error(`runnel broker exited with ${exited} while starting\n${started.stderr()}`)
    }
    if ((await canConnect(port)) && (await canConnect(httpPort))) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`runnel broker did not listen on 127.0.0.1:${port} within 30 s\n${started.stderr()}`)
    }
    await sleep(20) // fine enough to time a restart by
  }
  processTimes(started.pid) // fails now rather than mid-run if /proc is not readable
  return {
    pid: started.pid,
    bootstrap: `127.0.0.1:${port}`,
    httpPort,
    dataDir,
    stop,
    profiles: () =>
      options.profileDir
        ? readdirSync(options.profileDir)
            .filter((f) => f.endsWith('.cpuprofile'))
            .map((f) => join(options.profileDir!, f))
        : [],
  }
}

/** Seconds the broker spent answering each API, summed over requests, and the requests (from /metrics). */
export async function requestStats(
  httpPort: number,
): Promise<{ seconds: Record<string, number>; counts: Record<string, number> }> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(5000) })
  const text = await response.text()
  const seconds: Record<string, number> = {}
  const counts: Record<string, number> = {}
  for (const m of text.matchAll(
    /^runnel_broker_request_duration_seconds_(sum|count)\{api="([^"]+)"\} (\S+)$/gm,
  )) {
    const into = m[1] === 'sum' ? seconds : counts
    into[m[2]] = Number(m[3])
  }
  return { seconds, counts }
}

export interface BrokerHealth {
  /** Event-loop delay since the previous scrape (the scrape resets it), in ms. */
  loopP50Ms: number
  loopP99Ms: number
  loopMaxMs: number
  heapUsedBytes: number
  heapTotalBytes: number
  externalBytes: number
  connections: number
}

/** The broker's view of itself from /metrics (this scrape starts its next event-loop window). */
export async function brokerHealth(httpPort: number): Promise<BrokerHealth> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.text()
  const value = (series: string): number => {
    const at = text.indexOf(`\n${series} `)
    if (at < 0) throw new Error(`/metrics has no ${series}`)
    return Number(text.slice(at + series.length + 2, text.indexOf('\n', at + 1)))
  }
  const ms = (q: string) =>
    Number((value(`runnel_broker_event_loop_delay_seconds{quantile="${q}"}`) * 1000).toFixed(3))
  return {
    loopP50Ms: ms('0.5'),
    loopP99Ms: ms('0.99'),
    loopMaxMs: ms('max'),
    heapUsedBytes: value('nodejs_heap_size_used_bytes'),
    heapTotalBytes: value('nodejs_heap_size_total_bytes'),
    externalBytes: value('nodejs_external_memory_bytes'),
    connections: value('runnel_broker_connections'),
  }
}
