// Topic-level configs the broker knows: name, type, default, validation, the broker-level
// synonym that supplies the default (as Kafka's DescribeConfigs reports it), and whether a
// single-node broker acts on it. A config outside this table is refused with INVALID_CONFIG,
// as Kafka refuses an unknown topic config.

export const ConfigType = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const
export type ConfigType = (typeof ConfigType)[keyof typeof ConfigType]

/** DescribeConfigs' ConfigSource. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const

export interface ConfigDef {
  readonly name: string
  readonly type: ConfigType
  readonly default: string
  readonly brokerSynonym?: string
  readonly doc: string
  /** Returns an error sentence for an invalid value, or undefined. */
  readonly validate?: (value: string) => string | undefined
  /** False for configs accepted for compatibility that change nothing on one node. */
  readonly effective: boolean
}

const LONG_MAX = '9223372036854775807'

const isLong = (v: string) => /^-?\d+$/.test(v.trim())
const long =
  (min: number) =>
  (v: string): string | undefined => {
    if (!isLong(v)) return `must be a whole number, got "${v}"`
    if (Number(v) < min) return `must be at least ${min}, got ${v}`
    return undefined
  }
const oneOf =
  (...allowed: string[]) =>
  (v: string): string | undefined =>
    allowed.includes(v.trim()) ? undefined : `must be one of ${allowed.join(', ')}, got "${v}"`
const listOf =
  (...allowed: string[]) =>
  (v: string): string | undefined => {
    const items = v.split(',').map((s) => s.trim())
    const bad = items.filter((i) => !allowed.includes(i))
    return bad.length === 0 && items.length > 0
      ? undefined
      : `must be a list of ${allowed.join(', ')}, got "${v}"`
  }
const ratio = (v: string) => {
  const n = Number(v)
  return Number.isFinite(n) && n >= 0 && n <= 1 ? undefined : `must be a number between 0 and 1, got "${v}"`
}
const bool = oneOf('true', 'false')
const intIn =
  (min: number, max: number) =>
  (v: string): string | undefined =>
    long(min)(v) ?? (Number(v) > max ? `must be at most ${max}, got ${v}` : undefined)
/** A throttled-replicas list: empty, "*", or partition:broker pairs. */
const replicaList = (v: string): string | undefined =>
  /^(\*|(\s*\d+\s*:\s*\d+\s*)(,\s*\d+\s*:\s*\d+\s*)*)?$/.test(v.trim())
    ? undefined
    : `must be empty, * or a list of partition:broker pairs, got "${v}"`

export const topicConfigDefs: readonly ConfigDef[] = [
  {
    name: 'cleanup.policy',
    type: ConfigType.LIST,
    default: 'delete',
    brokerSynonym: 'log.cleanup.policy',
    doc: 'delete: old segments are removed by retention; compact: the latest record per key is kept.',
    validate: listOf('delete', 'compact'),
    effective: true,
  },
  {
    name: 'compression.type',
    type: ConfigType.STRING,
    default: 'producer',
    brokerSynonym: 'compression.type',
    doc: 'Batches are stored as the producer compressed them; only "producer" changes nothing.',
    validate: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'),
    effective: false,
  },
  {
    name: 'delete.retention.ms',
    type: ConfigType.LONG,
    default: '86400000',
    brokerSynonym: 'log.cleaner.delete.retention.ms',
    doc: 'How long a tombstone stays after compaction reached it.',
    validate: long(0),
    effective: true,
  },
  {
    name: 'file.delete.delay.ms',
    type: ConfigType.LONG,
    default: '60000',
    brokerSynonym: 'log.segment.delete.delay.ms',
    doc: 'Delay before a deleted segment file is removed from disk.',
    validate: long(0),
    effective: false,
  },
  {
    name: 'flush.messages',
    type: ConfigType.LONG,
    default: LONG_MAX,
    brokerSynonym: 'log.flush.interval.messages',
    doc: 'acks=all always fsyncs before acknowledging; this forced-flush interval is accepted for compatibility.',
    validate: long(1),
    effective: false,
  },
  {
    name: 'flush.ms',
    type: ConfigType.LONG,
    default: LONG_MAX,
    brokerSynonym: 'log.flush.interval.ms',
    doc: 'acks=all always fsyncs before acknowledging; this forced-flush interval is accepted for compatibility.',
    validate: long(0),
    effective: false,
  },
  {
    name: 'index.interval.bytes',
    type: ConfigType.INT,
    default: '4096',
    brokerSynonym: 'log.index.interval.bytes',
    doc: 'Bytes of log between two entries of the sparse offset index.',
    validate: long(0),
    effective: true,
  },
  {
    name: 'max.compaction.lag.ms',
    type: ConfigType.LONG,
    default: LONG_MAX,
    brokerSynonym: 'log.cleaner.max.compaction.lag.ms',
    doc: 'Longest time a record stays uncompacted.',
    validate: long(1),
    effective: true,
  },
  {
    name: 'max.message.bytes',
    type: ConfigType.INT,
    default: '1048588',
    brokerSynonym: 'message.max.bytes',
    doc: 'Largest record batch the topic accepts (MESSAGE_TOO_LARGE above it).',
    validate: long(0),
    effective: true,
  },
  {
    name: 'message.timestamp.type',
    type: ConfigType.STRING,
    default: 'CreateTime',
    brokerSynonym: 'log.message.timestamp.type',
    doc: 'CreateTime keeps the producer timestamps; LogAppendTime stamps each batch with the broker clock.',
    validate: oneOf('CreateTime', 'LogAppendTime'),
    effective: true,
  },
  {
    name: 'message.timestamp.before.max.ms',
    type: ConfigType.LONG,
    default: LONG_MAX,
    brokerSynonym: 'log.message.timestamp.before.max.ms',
    doc: 'Largest allowed age of a CreateTime timestamp.',
    validate: long(0),
    effective: false,
  },
  {
    name: 'message.timestamp.after.max.ms',
    type: ConfigType.LONG,
    default: '3600000', // Kafka 4's default (KIP-937); Long.MAX before

    brokerSynonym: 'log.message.timestamp.after.max.ms',
    doc: 'Largest allowed future skew of a CreateTime timestamp.',
    validate: long(0),
    effective: false,
  },
  {
    name: 'min.cleanable.dirty.ratio',
    type: ConfigType.DOUBLE,
    default: '0.5',
    brokerSynonym: 'log.cleaner.min.cleanable.ratio',
    doc: 'Share of uncompacted log that triggers cleaning.',
    validate: ratio,
    effective: true,
  },
  {
    name: 'min.compaction.lag.ms',
    type: ConfigType.LONG,
    default: '0',
    brokerSynonym: 'log.cleaner.min.compaction.lag.ms',
    doc: 'Shortest time a record stays uncompacted.',
    validate: long(0),
    effective: true,
  },
  {
    name: 'min.insync.replicas',
    type: ConfigType.INT,
    default: '1',
    brokerSynonym: 'min.insync.replicas',
    doc: 'One node is the only replica; any value is accepted and acks=all is answered once the leader has the batch, as a 1-node Kafka 4.4 does.',
    validate: long(1),
    effective: false,
  },
  {
    name: 'preallocate',
    type: ConfigType.BOOLEAN,
    default: 'false',
    brokerSynonym: 'log.preallocate',
    doc: 'Accepted for compatibility; segments are not preallocated.',
    validate: bool,
    effective: false,
  },
  {
    name: 'retention.bytes',
    type: ConfigType.LONG,
    default: '-1',
    brokerSynonym: 'log.retention.bytes',
    doc: 'Largest size of a partition before its oldest segments are deleted; -1 = no limit.',
    validate: long(-1),
    effective: true,
  },
  {
    name: 'retention.ms',
    type: ConfigType.LONG,
    default: '604800000',
    brokerSynonym: 'log.retention.ms',
    doc: 'Age after which a segment is deleted; -1 = forever.',
    validate: long(-1),
    effective: true,
  },
  {
    name: 'segment.bytes',
    type: ConfigType.INT,
    default: '1073741824',
    brokerSynonym: 'log.segment.bytes',
    doc: 'Size at which the active segment is rolled.',
    validate: long(14),
    effective: true,
  },
  {
    name: 'segment.index.bytes',
    type: ConfigType.INT,
    default: '10485760',
    brokerSynonym: 'log.index.size.max.bytes',
    doc: 'Accepted for compatibility; index files grow as needed.',
    validate: long(4),
    effective: false,
  },
  {
    name: 'segment.jitter.ms',
    type: ConfigType.LONG,
    default: '0',
    brokerSynonym: 'log.roll.jitter.ms',
    doc: 'Accepted for compatibility; no jitter is applied.',
    validate: long(0),
    effective: false,
  },
  {
    name: 'segment.ms',
    type: ConfigType.LONG,
    default: '604800000',
    brokerSynonym: 'log.roll.ms',
    doc: 'Age at which the active segment is rolled.',
    validate: long(1),
    effective: true,
  },
  {
    name: 'compression.gzip.level',
    type: ConfigType.INT,
    default: '-1',
    brokerSynonym: 'compression.gzip.level',
    doc: 'Accepted for compatibility; batches are stored as the producer compressed them.',
    validate: (v) => (v.trim() === '-1' ? undefined : intIn(1, 9)(v)),
    effective: false,
  },
  {
    name: 'compression.lz4.level',
    type: ConfigType.INT,
    default: '9',
    brokerSynonym: 'compression.lz4.level',
    doc: 'Accepted for compatibility; batches are stored as the producer compressed them.',
    validate: intIn(1, 17),
    effective: false,
  },
  {
    name: 'compression.zstd.level',
    type: ConfigType.INT,
    default: '3',
    brokerSynonym: 'compression.zstd.level',
    doc: 'Accepted for compatibility; batches are stored as the producer compressed them.',
    validate: (v) => long(-131072)(v) ?? (Number(v) > 22 ? `must be at most 22, got ${v}` : undefined),
    effective: false,
  },
  {
    name: 'errors.deadletterqueue.group.enable',
    type: ConfigType.BOOLEAN,
    default: 'false',
    doc: 'Accepted for compatibility; share groups (KIP-932) are not implemented.',
    validate: bool,
    effective: false,
  },
  {
    name: 'follower.replication.throttled.replicas',
    type: ConfigType.LIST,
    default: '',
    doc: 'Accepted for compatibility; one node replicates nothing.',
    validate: replicaList,
    effective: false,
  },
  {
    name: 'leader.replication.throttled.replicas',
    type: ConfigType.LIST,
    default: '',
    doc: 'Accepted for compatibility; one node replicates nothing.',
    validate: replicaList,
    effective: false,
  },
  {
    name: 'local.retention.bytes',
    type: ConfigType.LONG,
    default: '-2',
    brokerSynonym: 'log.local.retention.bytes',
    doc: 'Tiered storage only (-2: as retention.bytes); every record is local here.',
    validate: long(-2),
    effective: false,
  },
  {
    name: 'local.retention.ms',
    type: ConfigType.LONG,
    default: '-2',
    brokerSynonym: 'log.local.retention.ms',
    doc: 'Tiered storage only (-2: as retention.ms); every record is local here.',
    validate: long(-2),
    effective: false,
  },
  {
    name: 'max.decompressed.message.bytes',
    type: ConfigType.INT,
    default: '2147483639',
    doc: 'Accepted for compatibility; the broker does not decompress batches to store them.',
    validate: intIn(0, 2147483647),
    effective: false,
  },
  {
    name: 'remote.copy.lag.bytes',
    type: ConfigType.LONG,
    default: '-1',
    doc: 'Tiered storage only.',
    validate: long(-1),
    effective: false,
  },
  {
    name: 'remote.copy.lag.ms',
    type: ConfigType.LONG,
    default: '0',
    doc: 'Tiered storage only.',
    validate: long(-1),
    effective: false,
  },
  {
    name: 'remote.log.copy.disable',
    type: ConfigType.BOOLEAN,
    default: 'false',
    doc: 'Tiered storage only.',
    validate: bool,
    effective: false,
  },
  {
    name: 'remote.log.delete.on.disable',
    type: ConfigType.BOOLEAN,
    default: 'false',
    doc: 'Tiered storage only.',
    validate: bool,
    effective: false,
  },
  {
    name: 'remote.storage.enable',
    type: ConfigType.BOOLEAN,
    default: 'false',
    doc: 'There is no tiered storage: true is refused, as by a Kafka broker with it disabled.',
    validate: (v) =>
      bool(v) ?? (v.trim() === 'true' ? 'Tiered Storage functionality is disabled in the broker' : undefined),
    effective: false,
  },
  {
    name: 'unclean.leader.election.enable',
    type: ConfigType.BOOLEAN,
    default: 'false',
    brokerSynonym: 'unclean.leader.election.enable',
    doc: 'Accepted for compatibility; one node has no elections.',
    validate: bool,
    effective: false,
  },
]

export const topicConfigByName: ReadonlyMap<string, ConfigDef> = new Map(
  topicConfigDefs.map((d) => [d.name, d]),
)

/** Validates one topic config; returns an error sentence or undefined. */
export function validateTopicConfig(name: string, value: string | null): string | undefined {
  const def = topicConfigByName.get(name)
  if (!def) return `unknown topic config "${name}"`
  if (value === null) return undefined
  return def.validate?.(value)
}

/** The effective value of every topic config: override, else broker default, else Kafka's default. */
export function effectiveTopicConfig(
  overrides: Readonly<Record<string, string>>,
  brokerDefaults: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const def of topicConfigDefs) {
    out[def.name] =
      overrides[def.name] ??
      (def.brokerSynonym ? brokerDefaults[def.brokerSynonym] : undefined) ??
      def.default
  }
  return out
}
