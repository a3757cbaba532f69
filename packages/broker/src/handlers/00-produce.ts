// Produce (key 0)
//
// Behavior:
// - Each partition carries exactly one record batch (magic 2). The broker checks the batch
//   header and its CRC-32C and appends the bytes as they came, with only the base offset
//   (and partition leader epoch) rewritten: no record is decoded on this path.
// - acks=0: no response; if any partition failed the connection is closed, as Kafka does,
//   so the producer notices. acks=1: answered once the OS has the bytes. acks=-1 (all): answered
//   after the partitions' logs are fsynced; concurrent requests share one fsync (group commit).
//   Any other acks value: INVALID_REQUIRED_ACKS.
// - Per partition errors: UNKNOWN_TOPIC_OR_PARTITION (no auto-creation on produce, as Kafka;
//   also for an illegal name), INVALID_TOPIC_EXCEPTION (an internal topic written by a client),
//   CORRUPT_MESSAGE (bad CRC or lengths), INVALID_RECORD (not exactly one v2 batch),
//   MESSAGE_TOO_LARGE (batch over the topic's max.message.bytes), UNSUPPORTED_COMPRESSION_TYPE
//   (zstd before v7, or an unknown codec), KAFKA_STORAGE_ERROR when the log is offline.
// - Idempotent and transactional producers (a producer id in the batch header): a retry of one
//   of the producer's last five batches is answered NONE with its original offset and not
//   appended again; OUT_OF_ORDER_SEQUENCE_NUMBER for a sequence gap, INVALID_PRODUCER_EPOCH for
//   a fenced epoch, INVALID_TXN_STATE for a transactional batch whose partition is not in its
//   producer's ongoing transaction (or a plain one while it is), INVALID_RECORD for control
//   batches. See docs/broker-transactions.md.
// - message.timestamp.type=LogAppendTime stamps the batch with the broker clock (the CRC is
//   recomputed); the response carries that time, else -1.
// - On a topic whose cleanup.policy includes compact, a record without a key is refused with
//   INVALID_RECORD and a record error naming it, as Kafka's LogValidator does (compaction keeps
//   records by key). Only these topics pay for decoding the records (and decompressing them).
//
// Version notes:
// - v3 adds transactionalId and requires record batches v2. We advertise from v0, as Kafka
//   3.9 does, because librdkafka before 2.10 compresses with gzip, snappy or lz4 only when
//   the broker's Produce range reaches down to v0 (and zstd to v7), and needs Produce v2 and
//   Fetch v2 for its "MsgVer1" feature; clients then send the highest common version. A
//   request carrying old message sets (magic 0/1) is answered UNSUPPORTED_FOR_MESSAGE_FORMAT:
//   this broker stores record batches v2 only.
// - v5 adds logStartOffset; v7 allows zstd; v8 adds recordErrors and errorMessage;
//   v9 is flexible; v10 adds currentLeader/nodeEndpoints (tagged, only on NOT_LEADER);
//   v11 adds TRANSACTION_ABORTABLE.
import {
  batchAttributes,
  batchMagic,
  batchRecordCount,
  CompressionType,
  CorruptRecordError,
  compressionOf,
  ErrorCode,
  type ProduceResponsePartitionProduceResponse,
  type ProduceResponseTopicProduceResponse,
  readBatch,
  stampLogAppendTime,
  validateBatch,
} from '@runnel/protocol'
import type { TopicState } from '../cluster/topics.ts'
import type { AppendResult, PartitionLog } from '../storage/index.ts'
import { registerHandler } from './registry.ts'
import { storageFailureCode } from './storage-failures.ts'

const ZSTD_FROM_VERSION = 7

function partitionError(index: number, errorCode: number, errorMessage: string | null) {
  const r: ProduceResponsePartitionProduceResponse = {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
  }
  return r
}

const MAGIC_OFFSET = 16

export const produce = registerHandler({
  apiKey: 0,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 11,
  uses: ['log', 'metrics', 'topics', 'partitions'],
  // Every append happens before the first await (the acks=all fsync).
  pipelined: true,
  async handle(request, ctx) {
    const { header } = ctx
    const acks = request.acks
    const validAcks = acks === 0 || acks === 1 || acks === -1
    const touched = new Set<PartitionLog>()
    const responses: ProduceResponseTopicProduceResponse[] = []

    for (const topicData of request.topicData) {
      // Absent only from v13+ (topics by id), which is not advertised.
      const name = topicData.name ?? ''
      const topic: TopicState | undefined = ctx.topics.get(name)
      const partitionResponses: ProduceResponsePartitionProduceResponse[] = []
      responses.push({ name, partitionResponses })
      let topicError: [number, string] | undefined
      if (!validAcks) topicError = [ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${acks}`]
      else if (!topic) {
        // Also for a name no topic could have: Kafka 4.4 answers UNKNOWN_TOPIC_OR_PARTITION, not
        // INVALID_TOPIC_EXCEPTION (the differential check, test/differential).
        topicError = [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`]
      } else if (topic.isInternal) {
        topicError = [ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${name}`]
      }
      for (const p of topicData.partitionData) {
        if (topicError) {
          partitionResponses.push(partitionError(p.index, topicError[0], topicError[1]))
          continue
        }
        const log = topic!.partitions[p.index]
        if (!log) {
          partitionResponses.push(
            partitionError(
              p.index,
              ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              'This server does not host this topic-partition.',
            ),
          )
          continue
        }
        const batch = p.records as Buffer | null
        if (batch === null || batch.length === 0) {
          partitionResponses.push(
            partitionError(
              p.index,
              ErrorCode.INVALID_RECORD,
              'Produce requests must carry one record batch per partition',
            ),
          )
          continue
        }
        // The magic byte sits at offset 16 in message sets of every version: read it only when
        // the bytes are there (a shorter Records field is answered by validateBatch below).
        if (batch.length > MAGIC_OFFSET && batchMagic(batch) < 2) {
          partitionResponses.push(
            partitionError(
              p.index,
              ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
              'Message sets of magic 0 and 1 are not supported: send record batches v2 (Produce v3 or later)',
            ),
          )
          continue
        }
        const invalid = validateBatch(batch, 0, batch.length)
        if (invalid !== 0) {
          partitionResponses.push(partitionError(p.index, invalid, batchErrorMessage(invalid)))
          continue
        }
        const attributes = batchAttributes(batch)
        if (compressionOf(attributes) === CompressionType.zstd && header.apiVersion < ZSTD_FROM_VERSION) {
          partitionResponses.push(
            partitionError(
              p.index,
              ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
              'zstd compression needs Produce v7 or later',
            ),
          )
          continue
        }
        const maxMessageBytes = Number(topic!.config['max.message.bytes'])
        if (batch.length > maxMessageBytes) {
          partitionResponses.push(
            partitionError(
              p.index,
              ErrorCode.MESSAGE_TOO_LARGE,
              `The record batch of ${batch.length} bytes is larger than max.message.bytes (${maxMessageBytes}) of ${name}`,
            ),
          )
          continue
        }
        if (topic!.config['cleanup.policy']?.includes('compact')) {
          const refused = keylessRecord(batch, name, p.index)
          if (refused !== undefined) {
            partitionResponses.push(refused)
            continue
          }
        }
        let logAppendTime = -1
        if (topic!.config['message.timestamp.type'] === 'LogAppendTime') {
          logAppendTime = Date.now()
          stampLogAppendTime(batch, logAppendTime)
        }
        // Batches with a producer id go through the partition's producer state (txn/producer-states.ts).
        const appended = ctx.partitions.appendProduced(log, batch, request.transactionalId ?? null)
        if (appended.kind === 'refused') {
          partitionResponses.push(partitionError(p.index, appended.errorCode, appended.message))
          continue
        }
        if (appended.kind !== 'appended' && appended.kind !== 'duplicate') {
          partitionResponses.push(partitionError(p.index, ...appendError(appended)))
          continue
        }
        touched.add(log) // a duplicate is answered once its original is on disk too (acks=all)
        if (appended.kind === 'appended') {
          ctx.metrics.bytesIn.inc({ topic: name }, batch.length)
          ctx.metrics.messagesIn.inc({ topic: name }, batchRecordCount(batch))
        }
        partitionResponses.push({
          index: p.index,
          errorCode: ErrorCode.NONE,
          baseOffset: BigInt(appended.baseOffset),
          logAppendTimeMs: BigInt(logAppendTime),
          logStartOffset: BigInt(appended.logStartOffset),
          recordErrors: [],
          errorMessage: null,
        })
      }
    }

    if (acks === -1 && touched.size > 0) {
      const flushed = await Promise.all([...touched].map((log) => log.flush())).then(
        () => ({ ok: true as const, errorMessage: null }),
        (err: unknown) => {
          ctx.log.error({ err }, 'fsync failed; acks=all produce answered KAFKA_STORAGE_ERROR')
          return {
            ok: false as const,
            errorMessage: `The log could not be synced to disk: ${(err as Error).message}`,
          }
        },
      )
      if (!flushed.ok) {
        // The bytes may be in the OS but not on disk: the producer must not take them as durable.
        for (const t of responses) {
          for (const r of t.partitionResponses) {
            if (r.errorCode === ErrorCode.NONE) {
              r.errorCode = ErrorCode.KAFKA_STORAGE_ERROR
              r.errorMessage = flushed.errorMessage
            }
          }
        }
      }
    }
    if (acks === 0) {
      // No response to carry an error: Kafka closes the connection so the producer notices
      // (it reconnects and refreshes its metadata).
      const failed = responses.some((t) => t.partitionResponses.some((r) => r.errorCode !== ErrorCode.NONE))
      if (failed) ctx.closeConnection('acks=0 produce failed for at least one partition')
      return null
    }
    return { responses, throttleTimeMs: 0 }
  },
})

/** The response refusing a batch with a keyless record (or undecodable records), else undefined. */
function keylessRecord(
  batch: Buffer,
  topic: string,
  partition: number,
): ProduceResponsePartitionProduceResponse | undefined {
  let index = 0
  try {
    for (const record of readBatch(batch).records()) {
      if (record.key === null) {
        const message = `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}.`
        return {
          ...partitionError(partition, ErrorCode.INVALID_RECORD, message),
          recordErrors: [{ batchIndex: index, batchIndexErrorMessage: message }],
        }
      }
      index++
    }
  } catch (err) {
    if (!(err instanceof CorruptRecordError)) throw err
    return partitionError(partition, ErrorCode.CORRUPT_MESSAGE, `The record batch is corrupt: ${err.message}`)
  }
  return undefined
}

function appendError(result: Exclude<AppendResult, { kind: 'appended' }>): [number, string] {
  switch (result.kind) {
    case 'messageTooLarge':
      return [
        ErrorCode.MESSAGE_TOO_LARGE,
        `The record batch of ${result.batchSize} bytes is larger than max.message.bytes (${result.maxMessageBytes})`,
      ]
    case 'batchTooLarge':
      return [
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `The record batch of ${result.size} bytes is larger than segment.bytes (${result.segmentBytes})`,
      ]
    default:
      return storageFailureCode(result)
  }
}

function batchErrorMessage(code: number): string {
  switch (code) {
    case ErrorCode.CORRUPT_MESSAGE:
      return 'The record batch is corrupt: its CRC-32C or lengths do not match its bytes'
    case ErrorCode.INVALID_RECORD:
      return 'Produce v3+ needs exactly one magic v2 record batch per partition, with consistent record counts'
    case ErrorCode.UNSUPPORTED_COMPRESSION_TYPE:
      return 'The record batch uses an unknown compression codec'
    default:
      return 'The record batch was refused'
  }
}
