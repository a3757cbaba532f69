// What each node of a KRaft cluster is told: server.properties, the log4j2 configuration and the
// storage-format arguments. Pure functions of the cluster's layout; cluster.ts writes them out.
import { randomBytes } from 'node:crypto'

export interface NodeLayout {
  nodeId: number
  /** The PLAINTEXT listener clients and the other brokers use. */
  brokerPort: number
  /** The CONTROLLER listener of the KRaft quorum. */
  controllerPort: number
  /** The node's folder: server.properties, data/ (log.dirs) and logs/. */
  dir: string
  /** The metadata log directory's id, named in --initial-controllers when formatting. */
  directoryId: string
}

/** A Kafka Uuid as Kafka prints one: 16 random bytes in URL-safe base64 without padding. */
export function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    // Kafka's own Uuid.randomUuid() avoids a leading '-', which command lines read as a flag.
    if (!id.startsWith('-')) return id
  }
}

export const HOST = '127.0.0.1'

/**
 * server.properties for one combined broker+controller node. Replication settings follow the
 * cluster's size: 3 nodes keep 3 copies and need 2 in sync (a produce with acks=all survives one
 * node down), 1 node keeps 1. Everything else is Kafka's default unless a comment says why.
 */
export function serverProperties(
  node: NodeLayout,
  cluster: readonly NodeLayout[],
  overrides: Readonly<Record<string, string | number | boolean>> = {},
): string {
  const replication = cluster.length >= 3 ? 3 : 1
  const minIsr = cluster.length >= 3 ? 2 : 1
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    // Dynamic KRaft quorum (KIP-853): the voters are fixed when the storage is formatted.
    'controller.quorum.bootstrap.servers': cluster.map((n) => `${HOST}:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${HOST}:${node.brokerPort},CONTROLLER://${HOST}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${node.brokerPort},CONTROLLER://${HOST}:${node.controllerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': `${node.dir}/data`,
    'default.replication.factor': replication,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': minIsr,
    // Tests want a group's first join answered at once; Kafka's default waits 3000 ms for more
    // members before the first rebalance.
    'group.initial.rebalance.delay.ms': 0,
    ...overrides,
  }
  return (
    Object.entries(props)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n') + '\n'
  )
}

/**
 * log4j2 for a node: everything at INFO to <dir>/logs/server.log (the folder comes from the
 * kafka.logs.dir system property, as Kafka's own scripts set it), nothing to the console.
 */
export function log4j2Properties(): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = FILE',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: log4j2's own lookup, read by Kafka's JVM
    'appender.file.fileName = ${sys:kafka.logs.dir}/server.log',
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    '',
  ].join('\n')
}

/**
 * `kafka-storage format` arguments (kafka.tools.StorageTool in 4.4): one node formats itself as
 * a standalone quorum; in a larger cluster every node is formatted with the same
 * --initial-controllers list, id@host:port:directoryId.
 */
export function formatArguments(
  node: NodeLayout,
  cluster: readonly NodeLayout[],
  clusterId: string,
): string[] {
  const args = ['format', '--cluster-id', clusterId, '--config', `${node.dir}/server.properties`]
  if (cluster.length === 1) return [...args, '--standalone']
  const controllers = cluster.map((n) => `${n.nodeId}@${HOST}:${n.controllerPort}:${n.directoryId}`).join(',')
  return [...args, '--initial-controllers', controllers]
}
