// librdkafka for the benchmark: bench/rdkafka-perf.c built with gcc against Debian's
// librdkafka-dev, and librdkafka's own mock cluster hosted by that binary as a reference point.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runTool, type Started, start, waitExit } from './processes.ts'

export interface RdkafkaTool {
  binary: string
  version: string
}

/** Builds the tool into `dir`, or explains what is missing and returns undefined. */
export async function buildRdkafkaTool(
  repoRoot: string,
  dir: string,
): Promise<RdkafkaTool | { missing: string }> {
  const install =
    'install it with: apt-get install librdkafka-dev (which brings gcc-usable headers and the library)'
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' })
  } catch {
    return { missing: `gcc is not installed (apt-get install gcc librdkafka-dev)` }
  }
  if (
    !existsSync('/usr/include/librdkafka/rdkafka.h') &&
    !existsSync('/usr/local/include/librdkafka/rdkafka.h')
  ) {
    return { missing: `librdkafka's headers are missing; ${install}` }
  }
  const binary = join(dir, 'rdkafka-perf')
  try {
    execFileSync(
      'gcc',
      ['-O2', '-Wall', '-o', binary, join(repoRoot, 'bench/rdkafka-perf.c'), '-lrdkafka', '-lpthread'],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
    )
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err)
    return { missing: `gcc could not build bench/rdkafka-perf.c (${install}):\n${stderr.trim()}` }
  }
  const { result } = await runTool(binary, ['version'], 10_000)
  return { binary, version: String(result.librdkafka) }
}

export interface MockCluster {
  pid: number
  bootstrap: string
  /** Closes the mock's stdin (it then exits); killed by PID if it lingers. */
  stop(): Promise<void>
}

/** librdkafka's mock cluster (one broker) with `topics` created with one partition each. */
export async function startMock(tool: RdkafkaTool, topics: readonly string[]): Promise<MockCluster> {
  let onBootstrap: (bootstrap: string) => void = () => {}
  const ready = new Promise<string>((resolve) => {
    onBootstrap = resolve
  })
  const started: Started = start(tool.binary, ['mock', '1', ...topics], {
    stdinPipe: true,
    onJson: (line) => {
      if (line.mode === 'mock') onBootstrap(String(line.bootstrap))
    },
  })
  const stop = async (): Promise<void> => {
    started.child.stdin?.end()
    try {
      await waitExit(started, 10_000, 'librdkafka mock cluster (stopping)')
    } catch {
      // killed after the grace period
    }
  }
  const bootstrap = await Promise.race([
    ready,
    started.exited.then((code) =>
      Promise.reject(new Error(`mock cluster exited with ${code}: ${started.stderr()}`)),
    ),
    new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('mock cluster: no address in 10 s')), 10_000).unref()
    }),
  ]).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  return { pid: started.pid, bootstrap, stop }
}
