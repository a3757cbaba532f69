// DescribeLogDirs (key 35)
//
// Behavior:
// - One log directory: the broker's data directory (the absolute path; `memory` for a broker
//   that keeps everything in memory), with the size of each partition asked (null topics: every
//   partition) and, from v4, the file system's total and usable bytes (-1 in memory).
//   Partitions that do not exist are left out, as Kafka leaves them out.
// - OffsetLag is 0 and IsFutureKey false: no partition is ever moving between directories.
// - The directory answers NONE while any of its partitions serves; when every partition of the
//   broker is offline after I/O errors it answers KAFKA_STORAGE_ERROR, as an offline log
//   directory does in Kafka.
//
// Version notes:
// - v1 is the oldest Kafka 4 speaks; v2 flexible; v3 top-level ErrorCode; v4 TotalBytes and
//   UsableBytes; v5 IsCordoned (never).
import { statfsSync } from 'node:fs'
import { resolve } from 'node:path'
import { type DescribeLogDirsResponseDescribeLogDirsTopic, ErrorCode } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const describeLogDirs = registerHandler({
  apiKey: 35,
  name: 'DescribeLogDirs',
  minVersion: 1,
  maxVersion: 5,
  uses: ['config', 'topics'],
  handle(request, ctx) {
    const { config } = ctx
    const wanted =
      request.topics === null
        ? undefined
        : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]))
    const topics: DescribeLogDirsResponseDescribeLogDirsTopic[] = []
    let serving = 0
    let all = 0
    for (const topic of ctx.topics.list()) {
      all += topic.partitions.length
      serving += topic.partitions.filter((log) => log.offlineReason === undefined).length
      const asked = wanted?.get(topic.name)
      if (wanted !== undefined && asked === undefined) continue
      const partitions = topic.partitions
        .map((log, index) => ({ log, index }))
        .filter(({ index }) => asked === undefined || asked.has(index))
        .map(({ log, index }) => ({
          partitionIndex: index,
          partitionSize: BigInt(log.sizeInBytes),
          offsetLag: 0n,
          isFutureKey: false,
        }))
      if (partitions.length > 0) topics.push({ name: topic.name, partitions })
    }
    const dataDir = config.dataDir
    let totalBytes = -1n
    let usableBytes = -1n
    if (dataDir !== undefined) {
      const fs = statfsSync(dataDir, { bigint: true })
      totalBytes = fs.blocks * fs.bsize
      usableBytes = fs.bavail * fs.bsize
    }
    const offline = all > 0 && serving === 0
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [
        {
          errorCode: offline ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE,
          logDir: dataDir === undefined ? 'memory' : resolve(dataDir),
          topics: offline ? [] : topics,
          totalBytes,
          usableBytes,
          isCordoned: false,
        },
      ],
    }
  },
})
