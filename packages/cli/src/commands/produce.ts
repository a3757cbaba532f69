// `runnel produce <topic>`: every line of stdin becomes a record. Lines are sent in batches
// while more are read (one Produce request at a time, so records keep their order per
// partition), and the summary says where each partition's records landed.

import { fstatSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { CompressionAlgorithmValue, MessageToProduce } from '@platformatic/kafka'
import {
  COMMON_HELP,
  commonOptions,
  intFlag,
  keyValueFlags,
  onePositional,
  parse,
  targetFrom,
  topicName,
} from '../args.ts'
import { CliError, CliErrorCode } from '../errors.ts'
import { checkPartition, clientOptions, explain, kafkaClient, topicMetadata, withAdmin } from '../kafka.ts'
import { noProgress, startProgress } from '../progress.ts'
import { table } from '../table.ts'
import { UsageError } from '../usage-error.ts'
import { note, print, printJson } from '../verbs.ts'

const HELP = `Usage: runnel produce <topic> [options] < records.txt

Reads lines from stdin and writes each one to the topic as a record (the line is the
value). Ends at the end of input (Ctrl-D), or Ctrl-C: the lines read so far are sent.
Then prints how many records went to each partition and at which offsets.

Options:
  -k, --key <key>               the same key on every record
  -K, --key-separator <sep>     split each line at the first <sep>: key before, value after
                                (a line without <sep> is a value with no key)
  -H, --header <key=value>      a header on every record (repeatable)
  -p, --partition <n>           write every record to partition n (default: by key, with
                                Kafka's murmur2 hash, as the Java client does; records
                                without a key go round robin)
  --acks <all|1|0>              all (default): wait until the broker has the records safely;
                                1: until the leader has them; 0: do not wait (no offsets)
  -z, --compression <codec>     none (default), gzip, snappy, lz4, zstd
${COMMON_HELP.replace(/^Common options:\n/, '')}
`

const ACKS: Record<string, -1 | 0 | 1> = { all: -1, '-1': -1, '1': 1, '0': 0 }
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

/** A batch stays well under max.message.bytes (1 MiB by default) for any one partition. */
const MAX_BATCH_BYTES = 512 * 1024
const MAX_BATCH_RECORDS = 10_000
/** Reading pauses when this many lines wait to be sent. */
const QUEUE_HIGH = 50_000

interface PartitionSummary {
  partition: number
  records: number
  firstOffset: bigint | null
  lastOffset: bigint | null
}

export const produceCommand = {
  summary: 'write lines from stdin to a topic, one record each',
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse(
      args,
      {
        ...commonOptions,
        key: { type: 'string', short: 'k' },
        'key-separator': { type: 'string', short: 'K' },
        header: { type: 'string', short: 'H', multiple: true },
        partition: { type: 'string', short: 'p' },
        acks: { type: 'string' },
        compression: { type: 'string', short: 'z' },
      },
      true,
    )
    if (values.help) {
      print(HELP)
      return 0
    }
    const topic = topicName(onePositional(positionals, 'topic', 'runnel produce <topic> [options] < lines'))
    if (values.key !== undefined && values['key-separator'] !== undefined) {
      throw new UsageError(
        '--key and --key-separator cannot be used together: one fixes the key, the other reads it',
      )
    }
    const separator = values['key-separator']
    if (separator === '') throw new UsageError('--key-separator cannot be empty')
    const headers = keyValueFlags('header', values.header).map(
      ([k, v]) => [Buffer.from(k), Buffer.from(v)] as const,
    )
    const partition = intFlag('partition', values.partition, 0, 2147483647)
    const acksText = values.acks ?? 'all'
    const acks = Object.hasOwn(ACKS, acksText) ? ACKS[acksText] : undefined
    if (acks === undefined) throw new UsageError(`--acks must be all, 1 or 0, got "${acksText}"`)
    const compression = (values.compression ?? 'none') as CompressionAlgorithmValue
    if (!(CODECS as readonly string[]).includes(compression)) {
      throw new UsageError(`--compression must be one of ${CODECS.join(', ')}, got "${compression}"`)
    }
    const target = targetFrom(values)
    const { compressionsAlgorithms, murmur2, Producer } = await kafkaClient()
    if (!compressionsAlgorithms[compression].available) {
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_UNSUPPORTED,
        `${compression} compression needs Node.js 22.15 or later; this is ${process.version}.`,
      )
    }

    const metadata = await withAdmin(target, (admin) => topicMetadata(admin, topic, true))
    if (partition !== undefined) checkPartition(metadata, partition)
    const partitionCount = metadata.partitions.length
    const fixedKey = values.key === undefined ? undefined : Buffer.from(values.key)

    let roundRobin = 0
    const toRecord = (line: string): MessageToProduce => {
      let key = fixedKey
      let value = line
      if (separator !== undefined) {
        const at = line.indexOf(separator)
        if (at >= 0) {
          key = Buffer.from(line.slice(0, at))
          value = line.slice(at + separator.length)
        }
      }
      // Kafka's default partitioner for keyed records: toPositive(murmur2(key)) % partitions.
      const p =
        partition ?? (key ? (murmur2(key) & 0x7fffffff) % partitionCount : roundRobin++ % partitionCount)
      return {
        topic,
        partition: p,
        key,
        value: Buffer.from(value),
        headers: headers.length > 0 ? new Map(headers) : undefined,
      }
    }

    const producer = new Producer({ ...clientOptions(target), acks, compression })
    const summary = new Map<number, PartitionSummary>()
    const queue: MessageToProduce[] = []
    let ended = false
    let paused = false
    let wake: (() => void) | undefined
    const signal = () => {
      wake?.()
      wake = undefined
    }

    const interactive = process.stdin.isTTY === true
    if (interactive) note('Type records, one per line; Ctrl-D to finish.')
    let inputBytes: number | undefined
    try {
      const st = fstatSync(0)
      if (st.isFile()) inputBytes = st.size
    } catch {}
    const progress = interactive
      ? noProgress
      : startProgress(
          'produce',
          inputBytes === undefined ? { unit: 'records' } : { unit: 'bytes', total: inputBytes },
        )
    // Input bytes per queued record, so the bar shows what was sent, not what was read.
    const inputSizes: number[] = []
    let sentBytes = 0
    let sent = 0

    const input = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
    input.on('line', (line) => {
      inputSizes.push(Buffer.byteLength(line) + 1)
      queue.push(toRecord(line))
      if (queue.length >= QUEUE_HIGH && !paused) {
        paused = true
        input.pause()
      }
      signal()
    })
    input.on('close', () => {
      ended = true
      signal()
    })
    const onInterrupt = () => input.close()
    process.once('SIGINT', onInterrupt)

    const started = Date.now()
    try {
      while (true) {
        if (queue.length === 0) {
          if (ended) break
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          continue
        }
        let bytes = 0
        let n = 0
        while (n < queue.length && n < MAX_BATCH_RECORDS && bytes < MAX_BATCH_BYTES) {
          bytes +=
            (queue[n].value as Buffer).length + ((queue[n].key as Buffer | undefined)?.length ?? 0) + 20
          n++
        }
        const batch = queue.splice(0, n)
        const batchInputBytes = inputSizes.splice(0, n).reduce((a, b) => a + b, 0)
        if (paused && queue.length < QUEUE_HIGH / 2) {
          paused = false
          input.resume()
        }
        const counts = new Map<number, number>()
        for (const m of batch) counts.set(m.partition as number, (counts.get(m.partition as number) ?? 0) + 1)
        let result: Awaited<ReturnType<typeof producer.send>>
        try {
          result = await producer.send({ messages: batch, acks })
        } catch (err) {
          throw explain(err, target, `produce to "${topic}" after ${sent} records`)
        }
        const baseOffsets = new Map((result.offsets ?? []).map((o) => [o.partition, o.offset]))
        for (const [p, count] of counts) {
          const s = summary.get(p) ?? { partition: p, records: 0, firstOffset: null, lastOffset: null }
          const base = baseOffsets.get(p)
          if (base !== undefined) {
            s.firstOffset ??= base
            s.lastOffset = base + BigInt(count) - 1n
          }
          s.records += count
          summary.set(p, s)
        }
        sent += batch.length
        sentBytes += batchInputBytes
        progress.update(inputBytes === undefined ? sent : sentBytes)
      }
    } finally {
      process.off('SIGINT', onInterrupt)
      progress.stop()
      input.close()
      await producer.close().catch(() => {})
      // Whatever went out is reported, also when a later batch failed.
      report(topic, sent, [...summary.values()], Date.now() - started, values.json === true, acks === 0)
    }
    return 0
  },
}

function report(
  topic: string,
  records: number,
  partitions: PartitionSummary[],
  elapsedMs: number,
  json: boolean,
  noAcks: boolean,
): void {
  partitions.sort((a, b) => a.partition - b.partition)
  if (json) {
    printJson({ topic, records, partitions })
    return
  }
  const seconds = (elapsedMs / 1000).toFixed(1)
  print(
    `Produced ${records.toLocaleString('en-US')} record${records === 1 ? '' : 's'} to "${topic}" in ${seconds} s.`,
  )
  if (noAcks && records > 0) print('With --acks 0 the broker does not answer, so the offsets are unknown.')
  if (partitions.length > 0) {
    print(
      table(
        ['partition', 'records', 'first offset', 'last offset'],
        partitions.map((p) => [p.partition, p.records, p.firstOffset, p.lastOffset]),
      ),
    )
  }
}
