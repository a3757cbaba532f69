// `runnel consume <topic>`: prints records as they arrive, alone (chosen partitions from
// chosen offsets, no trace left on the cluster) or as a member of a consumer group (the
// group's partitions from its committed offsets, committing what was printed).
import { once } from 'node:events'
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
import { type ConsumedRecord, compileFormat, DEFAULT_FORMAT, PLACEHOLDERS, recordJson } from '../format.ts'
import { GroupReader } from '../group-reader.ts'
import { checkPartition, type MetadataResponseTopic, offsetsAt, topicMetadata, withAdmin } from '../kafka.ts'
import { PartitionReader } from '../partition-reader.ts'
import { noProgress, startProgress } from '../progress.ts'
import { UsageError } from '../usage-error.ts'
import { note, print } from '../verbs.ts'

const HELP = `Usage: runnel consume <topic> [options]

Prints the records of a topic as they arrive, until Ctrl-C (or --count, or --exit-at-end).

Without --group it reads every partition (or --partition) from --offset, and leaves no trace
on the cluster. With --group it joins that consumer group: the group shares the partitions
among its members, reading resumes where the group left off, and the offsets of the records
printed are committed (every 5 seconds, and when it stops). Ctrl-C stops cleanly: commit,
then leave the group.

Options:
  -g, --group <id>            consume as a member of this consumer group, committing offsets
  --from-beginning            start at the earliest offset (with --group: in partitions the
                              group has no committed offset for)
  -o, --offset <where>        earliest, latest (default), a number (needs --partition), or
                              -N for N records before the end of each partition
  -p, --partition <n>         read only this partition (not with --group)
  -c, --count <n>             exit after n records
  -e, --exit-at-end           exit once every partition is read to its end (not with --group)
  -f, --format <format>       how to print each record (default '${DEFAULT_FORMAT}'); placeholders:
${Object.entries(PLACEHOLDERS)
  .map(([p, what]) => `                                %${p}  ${what}`)
  .join('\n')}
                                %%  a percent sign; \\n \\t \\r \\\\ are escapes
  --json                      one JSON object per line: topic, partition, offset, timestamp,
                              key, value, headers
${COMMON_HELP.replace(/^Common options:\n/, '')
  .split('\n')
  .filter((l) => !l.includes('--json'))
  .join('\n')}
`

type Start =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'back'; count: bigint }

function parseStart(text: string | undefined, fromBeginning: boolean): Start {
  if (fromBeginning) {
    if (text !== undefined) throw new UsageError('--from-beginning and --offset cannot be used together')
    return { kind: 'earliest' }
  }
  if (text === undefined || text === 'latest' || text === 'end') return { kind: 'latest' }
  if (text === 'earliest' || text === 'beginning') return { kind: 'earliest' }
  if (!/^-?\d+$/.test(text)) {
    throw new UsageError(
      `--offset must be earliest, latest, a number, or -N (N before the end), got "${text}"`,
    )
  }
  const n = int64Flag('offset', text, true) as bigint
  return n < 0n ? { kind: 'back', count: -n } : { kind: 'offset', offset: n }
}

/** `--offset -10` would read as a flag to parseArgs: here it is the offset's value. */
function joinNegativeOffset(args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if ((a === '-o' || a === '--offset') && /^-\d+$/.test(args[i + 1] ?? ''))
      out.push(`--offset=${args[++i]}`)
    else if (a.startsWith('-o=')) out.push(`--offset=${a.slice(3)}`)
    else out.push(a)
  }
  return out
}

/** stdout with backpressure; a closed pipe (`| head`) ends the command quietly. */
class Output {
  #closed = false
  onClosed: () => void = () => {}

  constructor() {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err
      this.#closed = true
      this.onClosed()
    })
  }

  write(data: Buffer | string): void | Promise<void> {
    if (this.#closed) return
    try {
      // once() also settles on 'error'; the error handler above has dealt with it.
      if (!process.stdout.write(data))
        return once(process.stdout, 'drain').then(
          () => {},
          () => {},
        )
    } catch (err) {
      // A pipe may fail synchronously.
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err
      this.#closed = true
      this.onClosed()
    }
  }
}

async function startOffsets(
  target: Target,
  topic: MetadataResponseTopic,
  partitions: number[],
  start: Start,
): Promise<Map<number, bigint>> {
  const name = topic.name as string
  const [earliest, latest] = await withAdmin(target, (admin) => offsetsAt(admin, name, partitions, -2n, -1n))
  const result = new Map<number, bigint>()
  for (const p of partitions) {
    const low = earliest.get(p) ?? 0n
    const high = latest.get(p) ?? 0n
    if (start.kind === 'earliest') result.set(p, low)
    else if (start.kind === 'latest') result.set(p, high)
    else if (start.kind === 'back') result.set(p, high - start.count > low ? high - start.count : low)
    else {
      if (start.offset < low || start.offset > high) {
        const holds = high > low ? `holds offsets ${low} to ${high - 1n}` : `is empty (next offset ${high})`
        throw new CliError(
          CliErrorCode.RUNNEL_CLI_OFFSET,
          `Offset ${start.offset} is not in partition ${p} of "${name}", which ${holds}.`,
        )
      }
      result.set(p, start.offset)
    }
  }
  return result
}

export const consumeCommand = {
  summary: 'print records of a topic, alone or in a consumer group',
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse(
      joinNegativeOffset(args),
      {
        ...commonOptions,
        group: { type: 'string', short: 'g' },
        'from-beginning': { type: 'boolean' },
        offset: { type: 'string', short: 'o' },
        partition: { type: 'string', short: 'p' },
        count: { type: 'string', short: 'c' },
        'exit-at-end': { type: 'boolean', short: 'e' },
        format: { type: 'string', short: 'f' },
      },
      true,
    )
    if (values.help) {
      print(HELP)
      return 0
    }
    const topic = topicName(onePositional(positionals, 'topic', 'runnel consume <topic> [options]'))
    if (values.json && values.format !== undefined)
      throw new UsageError('--json and --format cannot be used together')
    const render = values.json
      ? (r: ConsumedRecord) => `${recordJson(r)}\n`
      : compileFormat(values.format ?? DEFAULT_FORMAT)
    const partition = intFlag('partition', values.partition, 0, 2147483647)
    const count = intFlag('count', values.count, 1, Number.MAX_SAFE_INTEGER)
    const start = parseStart(values.offset, values['from-beginning'] === true)
    const groupId = values.group
    if (groupId !== undefined) {
      if (groupId === '') throw new UsageError('--group cannot be empty')
      if (partition !== undefined) {
        throw new UsageError(
          '--partition cannot be used with --group: the group decides who reads which partition',
        )
      }
      if (start.kind === 'offset' || start.kind === 'back') {
        throw new UsageError(
          '--offset with a number cannot be used with --group: reset the group with `runnel group reset-offsets`',
        )
      }
      if (values['exit-at-end']) throw new UsageError('--exit-at-end cannot be used with --group')
    } else if (start.kind === 'offset' && partition === undefined) {
      throw new UsageError(
        '--offset with a number needs --partition: offsets differ from partition to partition',
      )
    }
    const target = targetFrom(values)

    const metadata = await withAdmin(target, (admin) => topicMetadata(admin, topic))
    if (partition !== undefined) checkPartition(metadata, partition)

    const output = new Output()
    // Records go to stdout; a bar on the terminal only when they do not.
    const progress = process.stdout.isTTY
      ? noProgress
      : startProgress('consume', { unit: 'records', total: count })
    let printed = 0
    let reader: PartitionReader | GroupReader
    const onRecord = (r: ConsumedRecord) => {
      const written = output.write(render(r))
      printed++
      progress.update(printed)
      if (count !== undefined && printed >= count) reader.stop()
      return written
    }
    if (groupId === undefined) {
      const partitions =
        partition === undefined ? metadata.partitions.map((p) => p.partitionIndex) : [partition]
      reader = new PartitionReader({
        target,
        topic: metadata,
        start: await startOffsets(target, metadata, partitions, start),
        exitAtEnd: values['exit-at-end'] === true,
        onRecord,
        onNote: (text) => {
          progress.stop()
          note(text)
        },
      })
    } else {
      reader = new GroupReader({
        target,
        topic,
        groupId,
        resetTo: start.kind === 'earliest' ? 'earliest' : 'latest',
        onRecord,
      })
    }
    output.onClosed = () => reader.stop()
    let interrupts = 0
    const onSignal = () => {
      // The first Ctrl-C stops cleanly (commit, leave); a second one does not wait.
      if (++interrupts > 1) process.exit(130)
      reader.stop()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      await reader.run()
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      progress.stop()
    }
    return 0
  },
}
