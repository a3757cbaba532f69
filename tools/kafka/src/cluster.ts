// A KRaft cluster of 1 or 3 Apache Kafka nodes as child processes of this one: each node is a
// combined broker and controller on two free 127.0.0.1 ports, formatted and started with `java`
// straight from the installed jars. close() stops exactly the processes started here, by PID.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '@platformatic/kafka'
import {
  formatArguments,
  HOST,
  kafkaUuid,
  log4j2Properties,
  type NodeLayout,
  serverProperties,
} from './config.ts'
import { type Installation, javaCommand, kafkaHome, readInstallation } from './install.ts'
import { startWatchdog } from './watchdog.ts'

export interface StartApacheKafkaOptions {
  nodes?: 1 | 3
  /** Extra server.properties for every node, over the harness's own. */
  overrides?: Readonly<Record<string, string | number | boolean>>
  /** Heap of each node's JVM (-Xmx), 512m by default. */
  heap?: string
  /** JVM flags before the classpath, instead of JVM_OPTIONS (the heap is set apart). */
  jvmOptions?: readonly string[]
  /** How long formatting and start-up may take before start fails. */
  timeoutMs?: number
  /** A folder for the nodes' files; a fresh one under the system's temp dir by default. */
  dir?: string
  /** Keep the nodes' folders on close (to read their logs). */
  keepFiles?: boolean
}

export interface ApacheKafkaBroker {
  nodeId: number
  host: string
  port: number
  controllerPort: number
  pid: number
  dir: string
  /** The node's log4j file (server.log). */
  log: string
}

export interface ApacheKafka {
  /** `127.0.0.1:<port>,...`: every broker's listener. */
  bootstrap: string
  clusterId: string
  brokers: ApacheKafkaBroker[]
  dir: string
  /** From the call until every broker is in Metadata, in milliseconds. */
  startupMs: number
  /**
   * Stops one node, by `node.id` (1, 2, 3), and resolves once its process has exited: `SIGKILL`
   * (the default) for a crash, `SIGTERM` for a controlled shutdown. Its files stay; close()
   * still removes them. There is no restart.
   */
  stopNode(nodeId: number, signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>
  /** Stops every node (SIGTERM, SIGKILL after a timeout) and removes their folders. */
  close(): Promise<void>
}

const STOP_TIMEOUT_MS = 15_000

/**
 * Tuned for starting fast on a small shared machine rather than for throughput: the C1 compiler
 * only (TieredStopAtLevel=1) and the serial collector spend far less CPU while the JVM warms up;
 * three nodes on 2 cores start in about 8 s instead of about 14 s with Kafka's G1 and C2.
 */
export const JVM_OPTIONS: readonly string[] = [
  '-Xms128m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
]

export async function startApacheKafka(options: StartApacheKafkaOptions = {}): Promise<ApacheKafka> {
  const started = performance.now()
  const size = options.nodes ?? 1
  if (size !== 1 && size !== 3) throw new Error(`nodes must be 1 or 3, not ${size}`)
  const timeoutMs = options.timeoutMs ?? 120_000
  const deadline = Date.now() + timeoutMs
  const installation = readInstallation()
  if (!installation) {
    throw new Error(
      `Apache Kafka is not installed in ${kafkaHome()}: run \`npm run kafka -- --install\` (needs Maven)`,
    )
  }

  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'runnel-kafka-'))
  const ports = await freePorts(size * 2)
  const cluster: NodeLayout[] = Array.from({ length: size }, (_, i) => ({
    nodeId: i + 1,
    brokerPort: ports[2 * i],
    controllerPort: ports[2 * i + 1],
    dir: join(dir, `node-${i + 1}`),
    directoryId: kafkaUuid(),
  }))
  const clusterId = kafkaUuid()
  writeFileSync(join(dir, 'log4j2.properties'), log4j2Properties())
  for (const node of cluster) {
    mkdirSync(join(node.dir, 'logs'), { recursive: true })
    writeFileSync(join(node.dir, 'server.properties'), serverProperties(node, cluster, options.overrides))
  }

  const children: ChildProcess[] = []
  let watchdog: ChildProcess | undefined
  const onExit = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  }
  process.once('exit', onExit)
  const stopNode = async (nodeId: number, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const child = children[cluster.findIndex((node) => node.nodeId === nodeId)]
    if (child === undefined) throw new Error(`no Kafka node ${nodeId} in this cluster`)
    if (signal === 'SIGTERM') return stop(child)
    if (child.exitCode !== null || child.signalCode !== null) return
    const done = exited(child).catch(() => null)
    child.kill('SIGKILL')
    await done
  }
  const close = async () => {
    process.off('exit', onExit)
    await Promise.all(children.map((child) => stop(child)))
    watchdog?.kill('SIGTERM')
    if (!options.keepFiles) rmSync(dir, { recursive: true, force: true })
  }

  try {
    // Formatting runs one short JVM per node; they run side by side.
    await Promise.all(
      cluster.map((node) =>
        runJava(
          installation,
          options,
          node,
          'kafka.tools.StorageTool',
          formatArguments(node, cluster, clusterId),
          {
            deadline,
          },
        ),
      ),
    )
    for (const node of cluster) {
      children.push(
        startJava(installation, options, node, 'kafka.Kafka', [join(node.dir, 'server.properties')]),
      )
    }
    watchdog = startWatchdog(
      children.map((child) => child.pid!),
      options.keepFiles ? undefined : dir,
    )
    const bootstrap = cluster.map((n) => `${HOST}:${n.brokerPort}`).join(',')
    await waitForBrokers(bootstrap, cluster, children, deadline)
    return {
      bootstrap,
      clusterId,
      dir,
      brokers: cluster.map((node, i) => ({
        nodeId: node.nodeId,
        host: HOST,
        port: node.brokerPort,
        controllerPort: node.controllerPort,
        pid: children[i].pid!,
        dir: node.dir,
        log: join(node.dir, 'logs/server.log'),
      })),
      startupMs: Math.round(performance.now() - started),
      stopNode,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

function javaArguments(
  installation: Installation,
  options: StartApacheKafkaOptions,
  node: NodeLayout,
  mainClass: string,
  args: string[],
): string[] {
  return [
    `-Xmx${options.heap ?? '512m'}`,
    ...(options.jvmOptions ?? JVM_OPTIONS),
    `-Dkafka.logs.dir=${join(node.dir, 'logs')}`,
    `-Dlog4j2.configurationFile=${join(node.dir, '..', 'log4j2.properties')}`,
    '-cp',
    `${installation.libs}/*`,
    mainClass,
    ...args,
  ]
}

/** Starts a node; its stdout and stderr (JVM errors before log4j is up) go to logs/stdout.log. */
function startJava(
  installation: Installation,
  options: StartApacheKafkaOptions,
  node: NodeLayout,
  mainClass: string,
  args: string[],
): ChildProcess {
  const out = openSync(join(node.dir, 'logs/stdout.log'), 'a')
  try {
    return spawn(javaCommand(), javaArguments(installation, options, node, mainClass, args), {
      stdio: ['ignore', out, out],
    })
  } finally {
    closeSync(out)
  }
}

/** Runs a short-lived Kafka tool to the end; fails with its output if it does not exit 0. */
async function runJava(
  installation: Installation,
  options: StartApacheKafkaOptions,
  node: NodeLayout,
  mainClass: string,
  args: string[],
  { deadline }: { deadline: number },
): Promise<void> {
  const child = startJava(installation, options, node, mainClass, args)
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()))
  const code = await exited(child)
  clearTimeout(timer)
  if (code !== 0) {
    throw new Error(`${mainClass} ${args.join(' ')} exited with ${code}:\n${tail(node, 'stdout.log')}`)
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => resolve(code))
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const done = exited(child).catch(() => null)
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await done
  clearTimeout(timer)
}

function tail(node: NodeLayout, file: string, lines = 30): string {
  try {
    return readFileSync(join(node.dir, 'logs', file), 'utf8')
      .split('\n')
      .slice(-lines)
      .join('\n')
  } catch {
    return '(no output)'
  }
}

/** Free ports from the kernel (bind to port 0, note it, let it go); all distinct. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer()
          server.once('error', reject)
          server.listen(0, HOST, () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((server) => (server.address() as { port: number }).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

/**
 * Ready when Metadata from every node lists all of them: a broker is only listed once the
 * controller quorum has a leader and has unfenced it.
 */
async function waitForBrokers(
  bootstrap: string,
  cluster: readonly NodeLayout[],
  children: readonly ChildProcess[],
  deadline: number,
): Promise<void> {
  let last = 'no answer yet'
  for (;;) {
    const gone = children.findIndex((child) => child.exitCode !== null || child.signalCode !== null)
    if (gone >= 0) {
      const node = cluster[gone]
      const child = children[gone]
      throw new Error(
        `Kafka node ${node.nodeId} exited (${child.exitCode ?? child.signalCode}) during start-up:\n` +
          `${tail(node, 'server.log')}\n${tail(node, 'stdout.log')}`,
      )
    }
    const answers = await Promise.all(cluster.map((node) => brokerIds(`${HOST}:${node.brokerPort}`)))
    const ready = answers.every((ids) => Array.isArray(ids) && ids.length === cluster.length)
    if (ready) return
    last = answers.map((a, i) => `node ${cluster[i].nodeId}: ${Array.isArray(a) ? `[${a}]` : a}`).join('; ')
    if (Date.now() > deadline) throw new Error(`Kafka at ${bootstrap} not ready in time (${last})`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The broker ids one node's Metadata lists, or why it did not answer. */
async function brokerIds(address: string): Promise<number[] | string> {
  const admin = new Admin({
    clientId: 'runnel-kafka-harness',
    bootstrapBrokers: [address],
    retries: 0,
    timeout: 2000,
  })
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true })
    return [...metadata.brokers.keys()].sort()
  } catch (error) {
    return (error as Error).message
  } finally {
    await admin.close().catch(() => {})
  }
}
