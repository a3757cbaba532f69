// `runnel group list|describe|delete|reset-offsets`: consumer groups through Kafka's admin
// APIs (ListGroups, DescribeGroups, OffsetFetch, ListOffsets, DeleteGroups, OffsetCommit as
// an admin with generation -1), as kafka-consumer-groups does them.
import { COMMON_HELP, commonOptions, int64Flag, parse, targetFrom, topicName } from '../args.ts'
import { CliError, CliErrorCode } from '../errors.ts'
import { committedOffsets, describeGroup, type GroupInfo, stateName } from '../groups.ts'
import { explain, offsetsAt, rawMetadata, unknownTopic, withAdmin } from '../kafka.ts'
import { startProgress } from '../progress.ts'
import {
  type PartitionPosition,
  type PlannedReset,
  parseDateTime,
  planReset,
  type ResetTo,
} from '../reset-plan.ts'
import { keyValues, table } from '../table.ts'
import { UsageError } from '../usage-error.ts'
import { commandWithVerbs, print, printJson } from '../verbs.ts'

function help(usage: string, text: string, options: string): string {
  return `Usage: ${usage}\n\n${text}\n\nOptions:\n${options ? `${options}\n` : ''}${COMMON_HELP.replace(/^Common options:\n/, '')}\n`
}

function oneGroup(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one group id. Usage: ${usage}`)
  if (positionals[0] === '') throw new UsageError('the group id cannot be empty')
  return positionals[0]
}

function unknownGroup(groupId: string): CliError {
  return new CliError(CliErrorCode.RUNNEL_CLI_UNKNOWN_GROUP, `Group "${groupId}" does not exist.`)
}

const LIST_HELP = help(
  'runnel group list [options]',
  'Lists the consumer groups of the cluster and their state.',
  '',
)

async function list(args: string[]): Promise<number> {
  const { values } = parse(args, commonOptions)
  if (values.help) {
    print(LIST_HELP)
    return 0
  }
  const target = targetFrom(values)
  const groups = await withAdmin(target, async (admin) => [...(await admin.listGroups()).values()])
  const rows = groups
    .map((g) => ({ group: g.id, state: stateName(g.state), protocolType: g.protocolType }))
    .sort((a, b) => a.group.localeCompare(b.group))
  if (values.json) printJson(rows)
  else
    print(
      table(
        ['group', 'state', 'protocol type'],
        rows.map((g) => [g.group, g.state, g.protocolType]),
      ),
    )
  return 0
}

const DESCRIBE_HELP = help(
  'runnel group describe <group> [options]',
  'Shows a consumer group: its state and members, and per partition the committed offset,\nthe log end offset, the lag between them, and the member it is assigned to.',
  '',
)

interface OffsetRow {
  topic: string
  partition: number
  committedOffset: bigint | null
  logEndOffset: bigint | null
  lag: bigint | null
  memberId: string | null
  clientId: string | null
  host: string | null
}

async function describe(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, commonOptions, true)
  if (values.help) {
    print(DESCRIBE_HELP)
    return 0
  }
  const groupId = oneGroup(positionals, 'runnel group describe <group>')
  const target = targetFrom(values)
  const { group, offsets } = await withAdmin(target, async (admin) => {
    const group = await describeGroup(admin, groupId)
    const committed = await committedOffsets(admin, groupId)
    if (group.state === 'Dead' && committed.size === 0) throw unknownGroup(groupId)
    // Partitions to show: the committed ones and the assigned ones.
    const owner = new Map<string, GroupInfo['members'][number]>()
    const partitions = new Map<string, Set<number>>()
    const add = (topic: string, p: number) =>
      partitions.set(topic, (partitions.get(topic) ?? new Set()).add(p))
    for (const m of group.members) {
      for (const a of m.assignment) {
        for (const p of a.partitions) {
          owner.set(`${a.topic}:${p}`, m)
          add(a.topic, p)
        }
      }
    }
    for (const [topic, ps] of committed) for (const p of ps.keys()) add(topic, p)
    // A deleted topic may still have committed offsets: its log end is unknown.
    const existing = new Set(
      (await rawMetadata(admin, [...partitions.keys()])).topics
        .filter((t) => t.errorCode === 0)
        .map((t) => t.name),
    )
    const rows: OffsetRow[] = []
    for (const [topic, ps] of [...partitions].sort(([a], [b]) => a.localeCompare(b))) {
      const sorted = [...ps].sort((a, b) => a - b)
      const [ends] = existing.has(topic)
        ? await offsetsAt(admin, topic, sorted, -1n)
        : [new Map<number, bigint>()]
      for (const p of sorted) {
        const c = committed.get(topic)?.get(p) ?? null
        const end = ends.get(p) ?? null
        const m = owner.get(`${topic}:${p}`)
        rows.push({
          topic,
          partition: p,
          committedOffset: c,
          logEndOffset: end,
          lag: c !== null && end !== null ? (end > c ? end - c : 0n) : null,
          memberId: m?.memberId ?? null,
          clientId: m?.clientId ?? null,
          host: m?.host ?? null,
        })
      }
    }
    return { group, offsets: rows }
  })
  if (values.json) {
    printJson({ ...group, offsets })
    return 0
  }
  const totalLag = offsets.reduce((sum, r) => sum + (r.lag ?? 0n), 0n)
  print(
    keyValues([
      ['group', group.groupId],
      ['state', group.state],
      [
        'protocol',
        group.protocolType ? `${group.protocolType}${group.protocol ? ` / ${group.protocol}` : ''}` : '',
      ],
      ['members', group.members.length],
      ['coordinator', `${group.coordinator.nodeId} (${group.coordinator.host}:${group.coordinator.port})`],
      ['total lag', totalLag],
    ]),
  )
  print(
    `\n${table(
      ['topic', 'partition', 'committed offset', 'log end offset', 'lag', 'member id', 'client id', 'host'],
      offsets.map((r) => [
        r.topic,
        r.partition,
        r.committedOffset,
        r.logEndOffset,
        r.lag,
        r.memberId,
        r.clientId,
        r.host,
      ]),
    )}`,
  )
  if (group.members.length > 0) {
    print(
      `\n${table(
        ['member id', 'instance id', 'client id', 'host', 'assignment'],
        group.members.map((m) => [
          m.memberId,
          m.groupInstanceId,
          m.clientId,
          m.host,
          m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' '),
        ]),
      )}`,
    )
  }
  return 0
}

const DELETE_HELP = help(
  'runnel group delete <group>... [options]',
  'Deletes consumer groups and their committed offsets. A group with members cannot be deleted.',
  '',
)

async function remove(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, commonOptions, true)
  if (values.help) {
    print(DELETE_HELP)
    return 0
  }
  if (positionals.length === 0)
    throw new UsageError('missing group id. Usage: runnel group delete <group>...')
  const target = targetFrom(values)
  // One group per request, so a failure names its group and the ones before it stay deleted.
  await withAdmin(target, async (admin) => {
    for (const groupId of positionals) {
      try {
        await admin.deleteGroups({ groups: [groupId] })
      } catch (err) {
        const e = explain(err, target)
        if (e.code === CliErrorCode.RUNNEL_CLI_UNKNOWN_GROUP) throw unknownGroup(groupId)
        if (e.code === CliErrorCode.RUNNEL_CLI_GROUP_ACTIVE) throw activeGroup(groupId, 'deleted')
        throw explain(err, target, `delete group "${groupId}"`)
      }
    }
  })
  if (values.json) printJson({ deleted: positionals })
  else
    print(
      table(
        ['group', 'status'],
        positionals.map((g) => [g, 'deleted']),
      ),
    )
  return 0
}

function activeGroup(groupId: string, what: 'deleted' | 'reset', group?: GroupInfo): CliError {
  const members = group
    ? `${group.members.length} active member${group.members.length === 1 ? '' : 's'}`
    : 'active members'
  const state = group ? ` (state ${group.state})` : ''
  const action = what === 'reset' ? 'its offsets can only be reset' : 'it can only be deleted'
  return new CliError(
    CliErrorCode.RUNNEL_CLI_GROUP_ACTIVE,
    `Group "${groupId}" has ${members}${state}: stop its consumers first, ${action} while the group is inactive.`,
  )
}

const RESET_HELP = help(
  'runnel group reset-offsets <group> --topic <topic>[:<partitions>] <--to-...> [--execute]',
  'Moves the committed offsets of a group, so its consumers re-read (or skip) records.\nA dry run by default: it prints the plan (partition, current offset, new offset) and\nchanges nothing; --execute applies it. Refused while the group has members, as Kafka\ndoes: stop the consumers first. New offsets are kept inside the log (earliest..latest).',
  [
    '  -t, --topic <topic>[:p,p]  the topic to reset, all its partitions or the listed ones (repeatable)',
    '  --all-topics               every topic the group has committed offsets for',
    '  --to-earliest              the earliest offset still in the log',
    '  --to-latest                the end of the log (skip everything not yet read)',
    '  --to-datetime <when>       the first record at or after an ISO 8601 time, e.g.',
    '                             2024-05-01T12:00:00Z (without a zone: local time)',
    '  --to-offset <n>            offset n in every partition',
    '  --shift-by <n>             n offsets forward from the committed one (negative: back)',
    '  --dry-run                  only print the plan (the default)',
    '  --execute                  apply the plan',
  ].join('\n'),
)

interface TopicSelection {
  topic: string
  partitions: number[] | undefined
}

function parseTopicSelection(text: string): TopicSelection {
  const colon = text.indexOf(':')
  if (colon < 0) return { topic: topicName(text), partitions: undefined }
  const topic = topicName(text.slice(0, colon))
  const list = text.slice(colon + 1)
  if (!/^\d+(,\d+)*$/.test(list)) {
    throw new UsageError(`--topic takes topic or topic:partition,partition, got "${text}"`)
  }
  return { topic, partitions: [...new Set(list.split(',').map(Number))].sort((a, b) => a - b) }
}

async function resetOffsets(args: string[]): Promise<number> {
  // `--shift-by -5` would read as a flag: it is the value here.
  const joined: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--shift-by' && /^-\d+$/.test(args[i + 1] ?? '')) joined.push(`--shift-by=${args[++i]}`)
    else joined.push(args[i])
  }
  const { values, positionals } = parse(
    joined,
    {
      ...commonOptions,
      topic: { type: 'string', short: 't', multiple: true },
      'all-topics': { type: 'boolean' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'to-datetime': { type: 'string' },
      'to-offset': { type: 'string' },
      'shift-by': { type: 'string' },
      'dry-run': { type: 'boolean' },
      execute: { type: 'boolean' },
    },
    true,
  )
  if (values.help) {
    print(RESET_HELP)
    return 0
  }
  const groupId = oneGroup(positionals, 'runnel group reset-offsets <group> --topic <topic> --to-...')
  const chosen = (['to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'shift-by'] as const).filter(
    (k) => values[k] !== undefined && values[k] !== false,
  )
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length === 0
        ? 'say where to: --to-earliest, --to-latest, --to-datetime, --to-offset or --shift-by'
        : `choose one of ${chosen.map((c) => `--${c}`).join(', ')}`,
    )
  }
  if (values.execute && values['dry-run'])
    throw new UsageError('--execute and --dry-run cannot be used together')
  let to: ResetTo
  switch (chosen[0]) {
    case 'to-earliest':
      to = { kind: 'earliest' }
      break
    case 'to-latest':
      to = { kind: 'latest' }
      break
    case 'to-datetime': {
      const timestamp = parseDateTime(values['to-datetime'] as string)
      if (timestamp === undefined) {
        throw new UsageError(
          `--to-datetime takes an ISO 8601 time such as 2024-05-01T12:00:00Z, got "${values['to-datetime']}"`,
        )
      }
      to = { kind: 'datetime', timestamp }
      break
    }
    case 'to-offset':
      to = { kind: 'offset', offset: int64Flag('to-offset', values['to-offset'], false) as bigint }
      break
    case 'shift-by':
      to = { kind: 'shift', by: int64Flag('shift-by', values['shift-by'], true) as bigint }
      break
  }
  const selections = (values.topic ?? []).map(parseTopicSelection)
  if (selections.length === 0 && !values['all-topics'])
    throw new UsageError('say which topics: --topic <topic> or --all-topics')
  if (selections.length > 0 && values['all-topics'])
    throw new UsageError('--topic and --all-topics cannot be used together')
  const target = targetFrom(values)
  const execute = values.execute === true

  const progress = startProgress('reset-offsets', { unit: 'steps', total: execute ? 4 : 3 })
  let plan: PlannedReset[]
  try {
    plan = await withAdmin(target, async (admin) => {
      const group = await describeGroup(admin, groupId)
      if (group.members.length > 0) throw activeGroup(groupId, 'reset', group)
      progress.update(1)
      const committed = await committedOffsets(admin, groupId)
      if (values['all-topics']) {
        for (const topic of [...committed.keys()].sort()) selections.push({ topic, partitions: undefined })
        if (selections.length === 0) {
          throw new CliError(
            CliErrorCode.RUNNEL_CLI_UNKNOWN_GROUP,
            `Group "${groupId}" has no committed offsets, so --all-topics names no topic; use --topic.`,
          )
        }
      }
      const metadata = await rawMetadata(
        admin,
        selections.map((s) => s.topic),
      )
      const positions: PartitionPosition[] = []
      for (const sel of selections) {
        const topic = metadata.topics.find((t) => t.name === sel.topic)
        if (topic?.errorCode !== 0) throw unknownTopic(sel.topic)
        const all = topic.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b)
        const missing = sel.partitions?.find((p) => !all.includes(p))
        if (missing !== undefined) {
          throw new CliError(
            CliErrorCode.RUNNEL_CLI_UNKNOWN_PARTITION,
            `Topic "${sel.topic}" has no partition ${missing}: it has ${all.length} partition${all.length === 1 ? '' : 's'} (0 to ${all.length - 1}).`,
          )
        }
        const partitions = sel.partitions ?? all
        const [earliest, latest, forTime] = await offsetsAt(
          admin,
          sel.topic,
          partitions,
          -2n,
          -1n,
          ...(to.kind === 'datetime' ? [to.timestamp] : []),
        )
        for (const p of partitions) {
          positions.push({
            topic: sel.topic,
            partition: p,
            current: committed.get(sel.topic)?.get(p) ?? null,
            logStartOffset: earliest.get(p) ?? 0n,
            logEndOffset: latest.get(p) ?? 0n,
            offsetForTime: forTime?.get(p),
          })
        }
      }
      progress.update(2)
      const plan = planReset(positions, to)
      progress.update(3)
      if (execute) {
        const byTopic = new Map<string, { partition: number; offset: bigint }[]>()
        for (const r of plan)
          byTopic.set(r.topic, [
            ...(byTopic.get(r.topic) ?? []),
            { partition: r.partition, offset: r.target },
          ])
        try {
          await admin.alterConsumerGroupOffsets({
            groupId,
            topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
          })
        } catch (err) {
          // A consumer that joined since we looked makes the commit fail: say so plainly.
          const now = await describeGroup(admin, groupId).catch(() => undefined)
          if (now && now.members.length > 0) throw activeGroup(groupId, 'reset', now)
          throw explain(err, target, `reset the offsets of group "${groupId}"`)
        }
        progress.update(4)
      }
      return plan
    })
  } finally {
    progress.stop()
  }
  if (values.json) {
    printJson({
      group: groupId,
      executed: execute,
      partitions: plan.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        current: r.current,
        new: r.target,
      })),
    })
    return 0
  }
  print(
    table(
      ['topic', 'partition', 'current', 'new'],
      plan.map((r) => [r.topic, r.partition, r.current, r.target]),
    ),
  )
  print(
    execute
      ? `Reset the offsets of group "${groupId}" on ${plan.length} partition${plan.length === 1 ? '' : 's'}.`
      : 'Dry run: nothing changed. Run again with --execute to apply.',
  )
  return 0
}

export const groupCommand = commandWithVerbs(
  'group',
  'list, describe, delete consumer groups and reset their offsets',
  {
    list: { summary: 'list consumer groups', run: list },
    describe: { summary: 'show members, assignments, committed offsets and lag of a group', run: describe },
    delete: { summary: 'delete consumer groups', run: remove },
    'reset-offsets': {
      summary: "move a group's committed offsets (dry run unless --execute)",
      run: resetOffsets,
    },
  },
)
