// `runnel registry`: runs the Confluent-compatible schema registry in the foreground, storing
// schemas in the `_schemas` topic of the given Kafka (Runnel's broker or any Kafka cluster),
// until SIGINT or SIGTERM. `--dev` keeps schemas in memory instead (nothing survives).
import { createMemoryStore, startRegistry } from '@runnel/registry/server'
import { COMMON_HELP, describeBrokers, intFlag, parse, targetFrom } from '../args.ts'
import type { Command } from '../verbs.ts'

const HELP = `Usage: runnel registry [options]

Runs a Confluent-compatible schema registry in the foreground (Avro, JSON Schema, Protobuf).
Schemas live in a compacted Kafka topic, so several instances against one Kafka agree.

Options:
  --port <n>              HTTP port (default 8081; 0 = any free port)
  --host <addr>           interface to listen on (default 127.0.0.1)
  --advertised-url <url>  URL other instances forward writes to (default http://<host>:<port>)
  --topic <name>          the schemas topic (default _schemas)
  --replication-factor <n>
                          replicas of the schemas topic when it is created (default 3, or
                          as many as the cluster has brokers if fewer, with a warning)
  --group <id>            consumer group that elects the writer (default schema-registry)
  --dev                   keep schemas in memory, without Kafka (nothing survives a restart)
${COMMON_HELP.replace('  --json                     print JSON for scripts instead of tables\n', '')}`

export const registryCommand: Command = {
  summary: 'run a Confluent-compatible schema registry in the foreground',
  async run(args) {
    const { values } = parse(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      'advertised-url': { type: 'string' },
      topic: { type: 'string' },
      'replication-factor': { type: 'string' },
      group: { type: 'string' },
      dev: { type: 'boolean' },
      brokers: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    })
    if (values.help) {
      console.log(HELP)
      return 0
    }
    const target = targetFrom(values)
    const port = intFlag('port', values.port as string | undefined, 0, 65535) ?? 8081
    const registry = await startRegistry({
      ...(values.dev ? { store: createMemoryStore() } : { brokers: describeBrokers(target) }),
      port,
      host: values.host as string | undefined,
      advertisedUrl: values['advertised-url'] as string | undefined,
      topic: values.topic as string | undefined,
      replicationFactor: intFlag(
        'replication-factor',
        values['replication-factor'] as string | undefined,
        1,
        32767,
      ),
      groupId: values.group as string | undefined,
      writeTimeoutMs: target.timeoutMs,
      leaderWaitMs: target.timeoutMs,
      onWarning: (message) => console.error(`runnel registry: warning: ${message}`),
    })
    const source = values.dev ? 'memory (--dev)' : `Kafka at ${describeBrokers(target)}`
    console.error(`runnel registry: serving ${registry.url}, schemas in ${source}`)
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        registry.close().then(resolve, (err: unknown) => {
          console.error(`runnel registry: shutdown failed: ${(err as Error).message}`)
          resolve()
        })
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
    return 0
  },
}
