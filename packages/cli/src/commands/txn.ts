// `runnel txn list|describe|producers`: transactions through Kafka's tooling APIs
// (ListTransactions, DescribeTransactions, DescribeProducers; KIP-664, Kafka 3.0), as
// kafka-transactions.sh does them. @platformatic/kafka's Admin has no call for these, so they
// are sent by hand (kafka-raw.ts): ListTransactions to every broker of the cluster, as each
// coordinates its own share of the transactional ids; DescribeTransactions to the id's
// coordinator (FindCoordinator, key type 1); DescribeProducers to each partition's leader.
import { ErrorCode } from '@runnel/protocol'
import {
  COMMON_HELP,
  commonOptions,
  int64Flag,
  intFlag,
  onePositional,
  parse,
  type Target,
  targetFrom,
  topicName,
} from '../args.ts'
import { CliError, CliErrorCode } from '../errors.ts'
import { unknownTopic } from '../kafka.ts'
import {
  addressText,
  COORDINATOR_RETRIABLE,
  type Coordinator,
  CoordinatorKeyType,
  errorName,
  findCoordinator,
  type KafkaSession,
  metadata,
  retrying,
  withKafka,
} from '../kafka-raw.ts'
import { keyValues, table } from '../table.ts'
import { UsageError } from '../usage-error.ts'
import { commandWithVerbs, note, print, printJson } from '../verbs.ts'

// The three tooling APIs arrived together (KIP-664).
const SINCE = 'Kafka 3.0 or later'
const LIST_TRANSACTIONS = 66
const DESCRIBE_TRANSACTIONS = 65
const DESCRIBE_PRODUCERS = 61

/** Kafka's transaction states, as ListTransactions and DescribeTransactions name them. */
const TRANSACTION_STATES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'PrepareEpochFence',
  'Dead',
] as const
/** States in which a transaction is open: its duration means something. */
const OPEN_STATES: ReadonlySet<string> = new Set([
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'PrepareEpochFence',
])

function help(usage: string, text: string, options: string): string {
  return `Usage: ${usage}\n\n${text}\n\nOptions:\n${options ? `${options}\n` : ''}${COMMON_HELP.replace(/^Common options:\n/, '')}\n`
}

/** `1 (127.0.0.1:9092)`, as `group describe` names a coordinator. */
function brokerText(b: Coordinator): string {
  return `${b.nodeId} (${addressText(b)})`
}

/** `broker 1 at 127.0.0.1:9092`, for sentences. */
function brokerAt(b: Coordinator): string {
  return `broker ${b.nodeId} at ${addressText(b)}`
}

/** A Kafka error the broker answered with, as one sentence. */
function refused(doing: string, code: number, message?: string | null): CliError {
  const detail = message ? `: ${message.trim().replace(/\.$/, '')}` : ''
  return new CliError(CliErrorCode.RUNNEL_CLI_KAFKA_ERROR, `Cannot ${doing}${detail} (${errorName(code)}).`)
}

/** Milliseconds since the epoch as ISO 8601, or null for Kafka's -1 (none). */
function isoTime(ms: bigint): string | null {
  return ms < 0n ? null : new Date(Number(ms)).toISOString()
}

/** Splits repeatable, comma-separated flag values: `--state Ongoing,Empty --state Dead`. */
function listFlag(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim())
}

const LIST_HELP = help(
  'runnel txn list [options]',
  'Lists the transactional ids of the cluster with their producer id, state and coordinator.\nEvery broker is asked, as each coordinates its own share of the ids.',
  [
    '  --state <state,...>        only these states (repeatable): Empty, Ongoing, PrepareCommit,',
    '                             PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence, Dead',
    '  --producer-id <id,...>     only these producer ids (repeatable)',
  ].join('\n'),
)

interface ListedTransaction {
  transactionalId: string
  producerId: bigint
  state: string
  coordinatorId: number
}

/** Kafka's spelling of each state asked for (case aside), or a UsageError naming the stray one. */
function stateFilters(values: string[] | undefined): string[] {
  return listFlag(values).map((asked) => {
    const state = TRANSACTION_STATES.find((s) => s.toLowerCase() === asked.toLowerCase())
    if (!state) {
      throw new UsageError(
        `--state takes Kafka's transaction states, got "${asked}"; use ${TRANSACTION_STATES.join(', ')}`,
      )
    }
    return state
  })
}

async function listOn(
  session: KafkaSession,
  broker: Coordinator,
  states: string[],
  producerIds: bigint[],
): Promise<ListedTransaction[]> {
  const connection = await session.to(broker)
  const version = connection.version(LIST_TRANSACTIONS, 0, SINCE)
  let last = { errorCode: 0 }
  // Kafka's admin client retries a coordinator still loading its state, and nothing else.
  const answer = await retrying(
    session.target.timeoutMs,
    async () => {
      const a = await connection.send(LIST_TRANSACTIONS, version, {
        stateFilters: states,
        producerIdFilters: producerIds,
        durationFilter: -1n,
      })
      if (a.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
        last = a
        return undefined
      }
      if (a.errorCode !== ErrorCode.NONE)
        throw refused(`list the transactions of ${brokerAt(broker)}`, a.errorCode)
      return a
    },
    () => refused(`list the transactions of ${brokerAt(broker)}`, last.errorCode),
  )
  if (answer.unknownStateFilters.length > 0) {
    note(
      `Note: ${brokerAt(broker)} does not know the state${answer.unknownStateFilters.length === 1 ? '' : 's'} ${answer.unknownStateFilters.join(', ')}.`,
    )
  }
  return answer.transactionStates.map((t) => ({
    transactionalId: t.transactionalId,
    producerId: t.producerId,
    state: t.transactionState,
    coordinatorId: broker.nodeId,
  }))
}

async function list(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    state: { type: 'string', multiple: true },
    'producer-id': { type: 'string', multiple: true },
  })
  if (values.help) {
    print(LIST_HELP)
    return 0
  }
  const states = stateFilters(values.state)
  const producerIds = listFlag(values['producer-id']).map((v) => int64Flag('producer-id', v, false) as bigint)
  const target = targetFrom(values)
  const rows = await withKafka(target, async (session) => {
    const { brokers } = await metadata(await session.bootstrap(), [])
    const perBroker = await Promise.all(brokers.map((b) => listOn(session, b, states, producerIds)))
    return perBroker
      .flat()
      .sort((a, b) =>
        a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0,
      )
  })
  if (values.json) printJson(rows)
  else
    print(
      table(
        ['transactional id', 'producer id', 'state', 'coordinator'],
        rows.map((t) => [t.transactionalId, t.producerId, t.state, t.coordinatorId]),
      ),
    )
  return 0
}

const DESCRIBE_HELP = help(
  'runnel txn describe <transactional-id> [options]',
  "Shows a transactional id: its state, producer id and epoch, transaction timeout, when its\ncurrent (or last) transaction started, and the partitions of the open transaction. Asked of\nthe id's transaction coordinator.",
  '',
)

interface DescribedTransaction {
  transactionalId: string
  state: string
  producerId: bigint
  producerEpoch: number
  transactionTimeoutMs: number
  /** When the current or last transaction started (ms since the epoch), null if none has. */
  transactionStartTimeMs: bigint | null
  /** How long the open transaction has run, by this machine's clock; null when none is open. */
  transactionDurationMs: number | null
  coordinator: Coordinator
  partitions: { topic: string; partition: number }[]
}

function unknownTransactionalId(transactionalId: string): CliError {
  return new CliError(
    CliErrorCode.RUNNEL_CLI_UNKNOWN_TRANSACTIONAL_ID,
    `Transactional id "${transactionalId}" does not exist (TRANSACTIONAL_ID_NOT_FOUND).`,
  )
}

async function describeTransaction(
  session: KafkaSession,
  transactionalId: string,
): Promise<DescribedTransaction> {
  const doing = `describe transactional id "${transactionalId}"`
  let last: { errorCode: number; errorMessage?: string | null } = { errorCode: 0 }
  // A coordinator that is loading, moving or not there yet is looked up again, as Kafka's
  // admin client does, for at most --timeout.
  return retrying(
    session.target.timeoutMs,
    async () => {
      const located = await findCoordinator(session, CoordinatorKeyType.TRANSACTION, transactionalId)
      if ('errorCode' in located) {
        if (COORDINATOR_RETRIABLE.has(located.errorCode)) {
          last = located
          return undefined
        }
        throw refused(
          `find the coordinator of transactional id "${transactionalId}"`,
          located.errorCode,
          located.errorMessage,
        )
      }
      const { coordinator } = located
      const connection = await session.to(coordinator)
      const answer = await connection.request(
        DESCRIBE_TRANSACTIONS,
        { transactionalIds: [transactionalId] },
        SINCE,
      )
      const state = answer.transactionStates.find((s) => s.transactionalId === transactionalId)
      if (!state) {
        throw new CliError(
          CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
          `Cannot ${doing}: its coordinator, ${brokerAt(coordinator)}, answered without it.`,
        )
      }
      if (state.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
        throw unknownTransactionalId(transactionalId)
      if (COORDINATOR_RETRIABLE.has(state.errorCode)) {
        last = state
        return undefined
      }
      if (state.errorCode !== ErrorCode.NONE) throw refused(doing, state.errorCode)
      const started = state.transactionStartTimeMs >= 0n ? state.transactionStartTimeMs : null
      return {
        transactionalId,
        state: state.transactionState,
        producerId: state.producerId,
        producerEpoch: state.producerEpoch,
        transactionTimeoutMs: state.transactionTimeoutMs,
        transactionStartTimeMs: started,
        transactionDurationMs:
          started !== null && OPEN_STATES.has(state.transactionState)
            ? Math.max(0, Date.now() - Number(started))
            : null,
        coordinator,
        partitions: state.topics
          .flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })))
          .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
      }
    },
    () => refused(doing, last.errorCode, last.errorMessage),
  )
}

async function describe(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, commonOptions, true)
  if (values.help) {
    print(DESCRIBE_HELP)
    return 0
  }
  const transactionalId = onePositional(
    positionals,
    'transactional id',
    'runnel txn describe <transactional-id>',
  )
  if (transactionalId === '') throw new UsageError('the transactional id cannot be empty')
  const target: Target = targetFrom(values)
  const txn = await withKafka(target, (session) => describeTransaction(session, transactionalId))
  if (values.json) {
    printJson(txn)
    return 0
  }
  print(
    keyValues([
      ['transactional id', txn.transactionalId],
      ['state', txn.state],
      ['producer id', txn.producerId],
      ['producer epoch', txn.producerEpoch],
      ['timeout', `${txn.transactionTimeoutMs} ms`],
      ['start time', txn.transactionStartTimeMs === null ? null : isoTime(txn.transactionStartTimeMs)],
      ['duration', txn.transactionDurationMs === null ? null : `${txn.transactionDurationMs} ms`],
      ['coordinator', brokerText(txn.coordinator)],
    ]),
  )
  print(
    `\n${table(
      ['topic', 'partition'],
      txn.partitions.map((p) => [p.topic, p.partition]),
    )}`,
  )
  return 0
}

const PRODUCERS_HELP = help(
  'runnel txn producers <topic> [options]',
  "Shows the producers each partition of a topic remembers: producer id and epoch, the last\nsequence and timestamp written, the coordinator epoch of its last marker, and the first\noffset of its open transaction there: what holds a partition's last stable offset back.\nAsked of each partition's leader.",
  '  -p, --partition <n>        only this partition',
)

interface PartitionProducer {
  topic: string
  partition: number
  producerId: bigint
  producerEpoch: number
  /** null: the producer wrote no batch here (it is known through markers only). */
  lastSequence: number | null
  lastTimestamp: bigint | null
  coordinatorEpoch: number | null
  /** The first offset of its open transaction in this partition; null when none is open. */
  currentTransactionStartOffset: bigint | null
}

const orNull = <T extends number | bigint>(value: T): T | null => (value < 0 ? null : value)

async function producers(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...commonOptions, partition: { type: 'string', short: 'p' } },
    true,
  )
  if (values.help) {
    print(PRODUCERS_HELP)
    return 0
  }
  const topic = topicName(onePositional(positionals, 'topic', 'runnel txn producers <topic> [--partition n]'))
  const only = intFlag('partition', values.partition, 0, 2_147_483_647)
  const target = targetFrom(values)
  const rows = await withKafka(target, async (session) => {
    const meta = await metadata(await session.bootstrap(), [topic])
    const found = meta.topics.find((t) => t.name === topic)
    if (!found || found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopic(topic)
    if (found.errorCode !== ErrorCode.NONE)
      throw refused(`read the metadata of topic "${topic}"`, found.errorCode)
    const all = found.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b)
    if (only !== undefined && !all.includes(only)) {
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_UNKNOWN_PARTITION,
        `Topic "${topic}" has no partition ${only}: it has ${all.length} partition${all.length === 1 ? '' : 's'} (0 to ${all.length - 1}).`,
      )
    }
    const byLeader = new Map<number, number[]>()
    for (const p of found.partitions) {
      if (only !== undefined && p.partitionIndex !== only) continue
      byLeader.set(p.leaderId, [...(byLeader.get(p.leaderId) ?? []), p.partitionIndex])
    }
    const rows: PartitionProducer[] = []
    for (const [leaderId, partitionIndexes] of byLeader) {
      const leader = meta.brokers.find((b) => b.nodeId === leaderId)
      if (!leader) {
        throw refused(
          `describe the producers of partition ${partitionIndexes[0]} of "${topic}"`,
          ErrorCode.LEADER_NOT_AVAILABLE,
        )
      }
      const connection = await session.to(leader)
      const answer = await connection.request(
        DESCRIBE_PRODUCERS,
        { topics: [{ name: topic, partitionIndexes }] },
        SINCE,
      )
      for (const part of answer.topics.find((t) => t.name === topic)?.partitions ?? []) {
        if (part.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopic(topic)
        if (part.errorCode !== ErrorCode.NONE) {
          throw refused(
            `describe the producers of partition ${part.partitionIndex} of "${topic}"`,
            part.errorCode,
            part.errorMessage,
          )
        }
        for (const p of part.activeProducers) {
          rows.push({
            topic,
            partition: part.partitionIndex,
            producerId: p.producerId,
            producerEpoch: p.producerEpoch,
            lastSequence: orNull(p.lastSequence),
            lastTimestamp: orNull(p.lastTimestamp),
            coordinatorEpoch: orNull(p.coordinatorEpoch),
            currentTransactionStartOffset: orNull(p.currentTxnStartOffset),
          })
        }
      }
    }
    return rows.sort((a, b) => a.partition - b.partition || (a.producerId < b.producerId ? -1 : 1))
  })
  if (values.json) {
    printJson(rows)
    return 0
  }
  print(
    table(
      [
        'partition',
        'producer id',
        'epoch',
        'last sequence',
        'last timestamp',
        'coordinator epoch',
        'txn start offset',
      ],
      rows.map((r) => [
        r.partition,
        r.producerId,
        r.producerEpoch,
        r.lastSequence,
        r.lastTimestamp === null ? null : isoTime(r.lastTimestamp),
        r.coordinatorEpoch,
        r.currentTransactionStartOffset,
      ]),
    ),
  )
  return 0
}

export const txnCommand = commandWithVerbs(
  'txn',
  'list and describe transactions, and the producers of a partition',
  {
    list: { summary: 'list transactional ids with their producer id and state', run: list },
    describe: {
      summary: 'show the state, producer, timeout and partitions of a transactional id',
      run: describe,
    },
    producers: {
      summary: 'show the producers each partition of a topic remembers (open transactions)',
      run: producers,
    },
  },
)
