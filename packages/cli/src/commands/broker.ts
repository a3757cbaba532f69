// `runnel broker`: runs the broker in the foreground until SIGINT or SIGTERM, then flushes
// every log and stops cleanly.
import { startBroker } from '@runnel/broker'
import { intFlag, parse } from '../args.ts'
import { UsageError } from '../usage-error.ts'

const HELP = `Usage: runnel broker [options]

Runs a single-node Kafka-compatible broker in the foreground.

Options:
  --port <n>                 Kafka listener port (default 9092; 0 = any free port)
  --host <addr>              interface to listen on (default 127.0.0.1)
  --advertised-host <host>   host clients are told to connect to (default: --host)
  --advertised-port <n>      port clients are told to connect to (default: the bound port)
  --data-dir <dir>           where logs and metadata live (default ./data)
  --memory                   keep everything in memory instead (nothing survives a restart)
  --http-port <n>            HTTP port for /health and /metrics (default 9644; 0 = any; --no-http to disable)
  --no-http                  do not start the HTTP side port
  --node-id <n>              this node's id (default 1)
  --auto-create-topics       create topics on first Metadata request (default)
  --no-auto-create-topics    refuse unknown topics instead
  --num-partitions <n>       partitions of auto-created topics (default 1)
  --config <key=value>       a broker-level default, e.g. log.retention.ms=3600000 (repeatable)
  --log-level <level>        fatal, error, warn, info (default), debug, trace, silent
  -h, --help                 show this help
`

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const brokerCommand = {
  summary: 'run a Kafka-compatible broker in the foreground',
  async run(args: string[]): Promise<number> {
    const { values } = parse(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      'advertised-host': { type: 'string' },
      'advertised-port': { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      'http-port': { type: 'string' },
      http: { type: 'boolean' },
      'node-id': { type: 'string' },
      'auto-create-topics': { type: 'boolean' },
      'num-partitions': { type: 'string' },
      config: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    })
    if (values.help) {
      console.log(HELP)
      return 0
    }
    const logLevel = (values['log-level'] as string | undefined) ?? 'info'
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
    }
    if (values.memory && values['data-dir'])
      throw new UsageError('--memory and --data-dir cannot be used together')
    const brokerConfigs: Record<string, string> = {}
    for (const entry of (values.config as string[] | undefined) ?? []) {
      const eq = entry.indexOf('=')
      if (eq <= 0) throw new UsageError(`--config takes key=value, got "${entry}"`)
      brokerConfigs[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim()
    }
    const running = await startBroker({
      port: intFlag('port', values.port as string | undefined, 0, 65535) ?? 9092,
      host: values.host as string | undefined,
      advertisedHost: values['advertised-host'] as string | undefined,
      advertisedPort: intFlag('advertised-port', values['advertised-port'] as string | undefined, 1, 65535),
      dataDir: values.memory ? undefined : ((values['data-dir'] as string | undefined) ?? './data'),
      httpPort:
        values.http === false
          ? undefined
          : (intFlag('http-port', values['http-port'] as string | undefined, 0, 65535) ?? 9644),
      nodeId: intFlag('node-id', values['node-id'] as string | undefined, 0, 2147483647),
      autoCreateTopics: values['auto-create-topics'] as boolean | undefined,
      numPartitions: intFlag('num-partitions', values['num-partitions'] as string | undefined, 1, 100000),
      brokerConfigs,
      logLevel: logLevel as (typeof LOG_LEVELS)[number],
    })
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        running.log.info({ signal }, 'stopping')
        process.off('SIGINT', onInt)
        process.off('SIGTERM', onTerm)
        running.close().then(resolve, (err: unknown) => {
          running.log.error({ err }, 'shutdown failed')
          resolve()
        })
      }
      const onInt = () => stop('SIGINT')
      const onTerm = () => stop('SIGTERM')
      process.on('SIGINT', onInt)
      process.on('SIGTERM', onTerm)
    })
    return 0
  },
}
