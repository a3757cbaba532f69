// npm run kafka -- [--nodes 1|3] [--install]: Apache Kafka on 127.0.0.1 until Ctrl-C, or only
// fetch its jars. See docs/kafka-harness.md.
import { parseArgs } from 'node:util'
import { startApacheKafka } from './cluster.ts'
import { installKafka, KAFKA_VERSION } from './install.ts'

const USAGE = `usage: npm run kafka -- [--nodes 1|3] [--install]

  --nodes 1|3   start a KRaft cluster of 1 (default) or 3 broker+controller nodes on
                127.0.0.1, print its bootstrap servers and wait for Ctrl-C
  --install     only fetch Apache Kafka ${KAFKA_VERSION} with Maven (into RUNNEL_KAFKA_HOME,
                default ~/.cache/runnel/kafka-${KAFKA_VERSION}); nothing is fetched twice
  --help        this text`

function usageError(message: string): never {
  console.error(`npm run kafka: ${message}\n\n${USAGE}`)
  process.exit(2)
}

let values: { nodes?: string; install?: boolean; help?: boolean }
try {
  ;({ values } = parseArgs({
    options: { nodes: { type: 'string' }, install: { type: 'boolean' }, help: { type: 'boolean' } },
    allowPositionals: false,
  }))
} catch (error) {
  usageError((error as Error).message)
}
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}
if (values.install && values.nodes !== undefined) usageError('--install and --nodes do not go together')
const nodes = values.nodes === undefined ? 1 : Number(values.nodes)
if (nodes !== 1 && nodes !== 3) usageError(`--nodes must be 1 or 3, not '${values.nodes}'`)

const installed = await installKafka({ log: (line) => console.log(line) })
if (values.install) {
  console.log(
    `Apache Kafka ${KAFKA_VERSION}: ${installed.jars.length} jars in ${installed.libs}` +
      (installed.fetched ? '' : ' (already installed)'),
  )
  process.exit(0)
}

console.log(`starting Apache Kafka ${KAFKA_VERSION}, ${nodes} node${nodes === 1 ? '' : 's'}...`)
const kafka = await startApacheKafka({ nodes })
console.log(`bootstrap: ${kafka.bootstrap}`)
console.log(`started in ${(kafka.startupMs / 1000).toFixed(1)} s (cluster id ${kafka.clusterId})`)
for (const broker of kafka.brokers) {
  console.log(
    `  node ${broker.nodeId}: broker ${broker.host}:${broker.port}, controller :${broker.controllerPort}, ` +
      `pid ${broker.pid}, log ${broker.log}`,
  )
}
console.log('Ctrl-C stops it and removes its files')

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  console.log('stopping...')
  await kafka.close()
  console.log('stopped')
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
