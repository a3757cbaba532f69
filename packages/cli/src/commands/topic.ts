// `runnel topic list|create|describe|delete|alter-config`: topics through Kafka's admin APIs
// (Metadata, CreateTopics, DeleteTopics, ListOffsets, DescribeConfigs, IncrementalAlterConfigs),
// so it works against any Kafka cluster.
import {
  COMMON_HELP,
  commonOptions,
  intFlag,
  keyValueFlags,
  parse,
  type Target,
  targetFrom,
  topicName,
} from '../args.ts'
import { CliError, CliErrorCode } from '../errors.ts'
import { explain, offsetsAt, rawMetadata, topicMetadata, unknownTopic, withAdmin } from '../kafka.ts'
import { keyValues, table } from '../table.ts'
import { UsageError } from '../usage-error.ts'
import { commandWithVerbs, print, printJson } from '../verbs.ts'

// Kafka's config resource type, config sources and IncrementalAlterConfigs operations.
const TOPIC_RESOURCE = 2
const SOURCE_NAMES: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'GROUP_CONFIG',
}
const OP_SET = 0 as const
const OP_DELETE = 1 as const

function help(usage: string, text: string, options: string): string {
  return `Usage: ${usage}\n\n${text}\n\nOptions:\n${options ? `${options}\n` : ''}${COMMON_HELP.replace(/^Common options:\n/, '')}\n`
}

const LIST_HELP = help(
  'runnel topic list [options]',
  'Lists the topics of the cluster with their partition count and replication factor.',
  '  --internal                 include internal topics (__consumer_offsets, ...)',
)

async function list(args: string[]): Promise<number> {
  const { values } = parse(args, { ...commonOptions, internal: { type: 'boolean' } })
  if (values.help) {
    print(LIST_HELP)
    return 0
  }
  const target = targetFrom(values)
  const metadata = await withAdmin(target, (admin) => rawMetadata(admin, null))
  const topics = metadata.topics
    .filter((t) => t.errorCode === 0 && t.name && (values.internal || !t.isInternal))
    .map((t) => ({
      name: t.name as string,
      partitions: t.partitions.length,
      replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicaNodes.length)),
      internal: t.isInternal,
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
  if (values.json) printJson(topics)
  else
    print(
      table(
        ['name', 'partitions', 'replicas'],
        topics.map((t) => [t.name, t.partitions, t.replicationFactor]),
      ),
    )
  return 0
}

const CREATE_HELP = help(
  'runnel topic create <topic>... [options]',
  'Creates topics. Without --partitions and --replication-factor the broker picks\n(num.partitions, default.replication.factor).',
  [
    '  -p, --partitions <n>            number of partitions',
    '  -r, --replication-factor <n>    copies of each partition',
    '  -c, --config <key=value>        a topic config, e.g. cleanup.policy=compact (repeatable)',
    '  --if-not-exists                 succeed when the topic already exists',
  ].join('\n'),
)

async function create(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...commonOptions,
      partitions: { type: 'string', short: 'p' },
      'replication-factor': { type: 'string', short: 'r' },
      config: { type: 'string', short: 'c', multiple: true },
      'if-not-exists': { type: 'boolean' },
    },
    true,
  )
  if (values.help) {
    print(CREATE_HELP)
    return 0
  }
  if (positionals.length === 0)
    throw new UsageError('missing topic name. Usage: runnel topic create <topic>... [options]')
  const names = positionals.map(topicName)
  const partitions = intFlag('partitions', values.partitions, 1, 1_000_000)
  const replicas = intFlag('replication-factor', values['replication-factor'], 1, 32767)
  const configs = keyValueFlags('config', values.config).map(([name, value]) => ({ name, value }))
  const target = targetFrom(values)
  const created = await withAdmin(target, async (admin) => {
    const rows: {
      name: string
      partitions: number
      replicationFactor: number
      id: string
      created: boolean
    }[] = []
    // One topic per request, so a failure names its topic and the ones before it stay created.
    for (const name of names) {
      try {
        const [topic] = await admin.createTopics({ topics: [name], partitions, replicas, configs })
        rows.push({
          name,
          partitions: topic.partitions,
          replicationFactor: topic.replicas,
          id: topic.id,
          created: true,
        })
      } catch (err) {
        const e = explain(err, target, `create topic "${name}"`)
        if (e.code === CliErrorCode.RUNNEL_CLI_TOPIC_EXISTS) {
          if (!values['if-not-exists']) {
            throw new CliError(CliErrorCode.RUNNEL_CLI_TOPIC_EXISTS, `Topic "${name}" already exists.`, {
              cause: err,
            })
          }
          const existing = await topicMetadata(admin, name)
          rows.push({
            name,
            partitions: existing.partitions.length,
            replicationFactor: existing.partitions[0]?.replicaNodes.length ?? 0,
            id: existing.topicId,
            created: false,
          })
          continue
        }
        throw e
      }
    }
    return rows
  })
  if (values.json) printJson(created)
  else
    print(
      table(
        ['topic', 'partitions', 'replicas', 'status'],
        created.map((t) => [t.name, t.partitions, t.replicationFactor, t.created ? 'created' : 'exists']),
      ),
    )
  return 0
}

const DESCRIBE_HELP = help(
  'runnel topic describe <topic> [options]',
  'Shows a topic: its partitions (leader, replicas, in-sync replicas, earliest and latest\noffsets) and every config with its value and where the value comes from.',
  '',
)

interface PartitionInfo {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
  earliestOffset: bigint
  latestOffset: bigint
}

async function describe(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, commonOptions, true)
  if (values.help) {
    print(DESCRIBE_HELP)
    return 0
  }
  if (positionals.length !== 1)
    throw new UsageError('expected one topic name. Usage: runnel topic describe <topic>')
  const name = topicName(positionals[0])
  const target = targetFrom(values)
  const result = await withAdmin(target, async (admin) => {
    const topic = await topicMetadata(admin, name)
    const ids = topic.partitions.map((p) => p.partitionIndex)
    const [earliest, latest] = await offsetsAt(admin, name, ids, -2n, -1n)
    const [described] = await admin.describeConfigs({
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name }],
    })
    const partitions: PartitionInfo[] = topic.partitions.map((p) => ({
      partition: p.partitionIndex,
      leader: p.leaderId,
      replicas: p.replicaNodes,
      isr: p.isrNodes,
      earliestOffset: earliest.get(p.partitionIndex) ?? -1n,
      latestOffset: latest.get(p.partitionIndex) ?? -1n,
    }))
    const configs = (described?.configs ?? [])
      .map((c) => ({
        name: c.name,
        value: c.isSensitive ? null : c.value,
        source: SOURCE_NAMES[c.configSource] ?? String(c.configSource),
        readOnly: c.readOnly,
        sensitive: c.isSensitive,
      }))
      .sort((a, b) => a.name.localeCompare(b.name))
    return {
      name,
      id: topic.topicId,
      internal: topic.isInternal,
      partitionCount: partitions.length,
      replicationFactor: Math.max(0, ...partitions.map((p) => p.replicas.length)),
      partitions,
      configs,
    }
  })
  if (values.json) {
    printJson(result)
    return 0
  }
  print(
    keyValues([
      ['name', result.name],
      ['id', result.id],
      ['internal', String(result.internal)],
      ['partitions', result.partitionCount],
      ['replicas', result.replicationFactor],
    ]),
  )
  print(
    `\n${table(
      ['partition', 'leader', 'replicas', 'isr', 'earliest', 'latest'],
      result.partitions.map((p) => [
        p.partition,
        p.leader,
        p.replicas.join(','),
        p.isr.join(','),
        p.earliestOffset,
        p.latestOffset,
      ]),
    )}`,
  )
  print(
    `\n${table(
      ['config', 'value', 'source'],
      result.configs.map((c) => [c.name, c.sensitive ? '(sensitive)' : c.value, c.source]),
    )}`,
  )
  return 0
}

const DELETE_HELP = help(
  'runnel topic delete <topic>... [options]',
  'Deletes topics and all their records.',
  '  --if-exists                succeed when a topic does not exist',
)

async function remove(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...commonOptions, 'if-exists': { type: 'boolean' } }, true)
  if (values.help) {
    print(DELETE_HELP)
    return 0
  }
  if (positionals.length === 0)
    throw new UsageError('missing topic name. Usage: runnel topic delete <topic>...')
  const names = positionals.map(topicName)
  const target = targetFrom(values)
  const deleted = await withAdmin(target, async (admin) => {
    const metadata = await rawMetadata(admin, names)
    const exists = new Set(metadata.topics.filter((t) => t.errorCode === 0).map((t) => t.name))
    const missing = names.filter((n) => !exists.has(n))
    if (missing.length > 0 && !values['if-exists']) throw unknownTopic(missing[0])
    const present = names.filter((n) => exists.has(n))
    if (present.length > 0) await admin.deleteTopics({ topics: present })
    return present
  })
  if (values.json) printJson({ deleted })
  else
    print(
      table(
        ['topic', 'status'],
        names.map((n) => [n, deleted.includes(n) ? 'deleted' : 'did not exist']),
      ),
    )
  return 0
}

const ALTER_HELP = help(
  'runnel topic alter-config <topic> [options]',
  'Changes configs of a topic, leaving the others as they are (IncrementalAlterConfigs).',
  [
    '  -s, --set <key=value>      set a config (repeatable)',
    '  -d, --delete <key>         remove an override, back to the default (repeatable)',
  ].join('\n'),
)

async function alterConfig(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...commonOptions,
      set: { type: 'string', short: 's', multiple: true },
      delete: { type: 'string', short: 'd', multiple: true },
    },
    true,
  )
  if (values.help) {
    print(ALTER_HELP)
    return 0
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      'expected one topic name. Usage: runnel topic alter-config <topic> --set k=v --delete k',
    )
  }
  const name = topicName(positionals[0])
  const set = keyValueFlags('set', values.set)
  const del = values.delete ?? []
  if (set.length === 0 && del.length === 0)
    throw new UsageError('nothing to change: give --set key=value or --delete key')
  const both = set.find(([k]) => del.includes(k))
  if (both) throw new UsageError(`"${both[0]}" is both set and deleted; choose one`)
  const target: Target = targetFrom(values)
  await withAdmin(target, async (admin) => {
    await topicMetadata(admin, name)
    try {
      await admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: TOPIC_RESOURCE,
            resourceName: name,
            configs: [
              ...set.map(([k, value]) => ({ name: k, configOperation: OP_SET, value })),
              ...del.map((k) => ({ name: k, configOperation: OP_DELETE })),
            ],
          },
        ],
      })
    } catch (err) {
      throw explain(err, target, `change the configs of topic "${name}"`)
    }
  })
  const changes = [
    ...set.map(([k, v]) => ({ config: k, change: 'set', value: v as string | null })),
    ...del.map((k) => ({ config: k, change: 'deleted', value: null })),
  ]
  if (values.json) printJson({ topic: name, changes })
  else
    print(
      table(
        ['config', 'change', 'value'],
        changes.map((c) => [c.config, c.change, c.value]),
      ),
    )
  return 0
}

export const topicCommand = commandWithVerbs(
  'topic',
  'list, create, describe, delete topics and change their configs',
  {
    list: { summary: 'list topics', run: list },
    create: { summary: 'create topics', run: create },
    describe: { summary: 'show partitions, offsets and configs of a topic', run: describe },
    delete: { summary: 'delete topics', run: remove },
    'alter-config': { summary: 'set or delete topic configs', run: alterConfig },
  },
)
