// The differential check's script: one fixed sequence of requests, sent the same way (same
// versions, same bodies, same record timestamps) to Runnel and to Apache Kafka 4.4, each answer
// kept for comparison (differential.test.ts). Each step names what it asks; the answers are
// normalized (normalize.ts) before they are compared.
import { connect, type Socket } from 'node:net'
import {
  type AnyApiKey,
  buildBatch,
  decodeResponse,
  ErrorCode,
  encodeRequest,
  type RequestMap,
  type ResponseMap,
  readBatch,
} from '@runnel/protocol'

/** Versions both peers support, per API key: the script asks at min(both maxima, the step's cap). */
export type VersionRanges = Map<number, { min: number; max: number }>

export interface StepAnswer {
  step: string
  apiKey: number
  version: number
  answer: unknown
}

/** One connection to one broker; requests answered in order. */
class Connection {
  private buffered = Buffer.alloc(0)
  private waiting: Array<(frame: Buffer) => void> = []
  private correlationId = 1

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0)
        const frame = this.buffered.subarray(4, 4 + size)
        this.buffered = this.buffered.subarray(4 + size)
        this.waiting.shift()?.(frame)
      }
    })
  }

  static open(bootstrap: string): Promise<Connection> {
    const [host, port] = bootstrap.split(',')[0].split(':')
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port: Number(port), noDelay: true })
      socket.once('connect', () => resolve(new Connection(socket)))
      socket.once('error', reject)
    })
  }

  request<K extends AnyApiKey>(apiKey: K, version: number, body: RequestMap[K]): Promise<ResponseMap[K]> {
    const correlationId = this.correlationId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to API ${apiKey} v${version} in 15 s`)),
        15_000,
      )
      this.waiting.push((frame) => {
        clearTimeout(timer)
        try {
          resolve(decodeResponse(apiKey, version, frame).body)
        } catch (err) {
          reject(err)
        }
      })
      this.socket.write(
        Buffer.concat(encodeRequest(apiKey, version, correlationId, 'runnel-differential', body)),
      )
    })
  }

  close(): void {
    this.socket.destroy()
  }
}

/** ApiVersions v3 of a broker: key -> [min, max]. */
export async function apiVersionsOf(bootstrap: string): Promise<VersionRanges> {
  const c = await Connection.open(bootstrap)
  try {
    const r = await c.request(18, 3, {
      clientSoftwareName: 'runnel-differential',
      clientSoftwareVersion: '1',
    })
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`ApiVersions error ${r.errorCode}`)
    return new Map(r.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]))
  } finally {
    c.close()
  }
}

/** The versions both support: the intersection of their ranges, per key. */
export function commonVersions(a: VersionRanges, b: VersionRanges): VersionRanges {
  const out: VersionRanges = new Map()
  for (const [key, ra] of a) {
    const rb = b.get(key)
    if (!rb) continue
    const min = Math.max(ra.min, rb.min)
    const max = Math.min(ra.max, rb.max)
    if (min <= max) out.set(key, { min, max })
  }
  return out
}

/** Errors a client retries while a broker settles: leader not ready, coordinator loading or moving. */
const SETTLING = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
])

/** Whether any errorCode anywhere in the answer is one of `codes`. */
function hasError(value: unknown, codes: ReadonlySet<number>): boolean {
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return false
  if (Array.isArray(value)) return value.some((v) => hasError(v, codes))
  for (const [k, v] of Object.entries(value)) {
    if (k === 'errorCode' && typeof v === 'number' && codes.has(v)) return true
    if (hasError(v, codes)) return true
  }
  return false
}

/** Record timestamps fixed by the script, so both logs hold the same bytes. */
export const T0 = 1_700_000_000_000
const records = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`k${from + i}`),
    value: Buffer.from(`v${from + i}`),
    headers: [{ key: 'h', value: Buffer.from(String(from + i)) }],
    timestamp: T0 + (from + i) * 1000,
  }))

/** Fetch's records field decoded: what a client reads, without bytes that may differ. */
function decodeRecords(buf: Buffer | null): unknown {
  if (!buf || buf.length === 0) return []
  const out: unknown[] = []
  let pos = 0
  while (pos + 61 <= buf.length) {
    const size = buf.readInt32BE(pos + 8) + 12
    if (pos + size > buf.length) break // a partial batch at the end is legal; clients skip it
    const batch = readBatch(buf, pos)
    out.push({
      baseOffset: batch.baseOffset,
      lastOffsetDelta: batch.lastOffsetDelta,
      magic: batch.magic,
      attributes: batch.attributes,
      baseTimestamp: batch.baseTimestamp,
      maxTimestamp: batch.maxTimestamp,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      records: [...batch.records()].map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key?.toString('latin1') ?? null,
        value: r.value?.toString('latin1') ?? null,
        headers: r.headers.map((h) => [h.key, h.value?.toString('latin1') ?? null]),
      })),
    })
    pos += size
  }
  return out
}

/** Runs the script against one broker. `versions` is the same for both peers. */
export async function runScript(bootstrap: string, versions: VersionRanges): Promise<StepAnswer[]> {
  const answers: StepAnswer[] = []
  const c = await Connection.open(bootstrap)
  const v = (apiKey: number, cap = Number.POSITIVE_INFINITY) => {
    const range = versions.get(apiKey)
    if (!range) throw new Error(`API ${apiKey} is not supported by both`)
    return Math.min(range.max, cap)
  }
  async function step<K extends AnyApiKey>(
    name: string,
    apiKey: K,
    version: number,
    body: RequestMap[K],
    view: (r: ResponseMap[K]) => unknown = (r) => r,
  ): Promise<ResponseMap[K]> {
    // A client retries what is retriable while a broker settles (Kafka elects a new
    // partition's leader and loads __consumer_offsets after answering CreateTopics): so does the
    // script, keeping only the answer it settled on.
    let r = await c.request(apiKey, version, body)
    for (let attempt = 1; attempt < 40 && hasError(r, SETTLING); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      r = await c.request(apiKey, version, body)
    }
    answers.push({ step: name, apiKey, version, answer: view(r) })
    return r
  }
  const topic = 'diff-a'
  try {
    // ---- topics ------------------------------------------------------------------------
    const metaV = v(3)
    await step('metadata of an unknown topic, no auto-creation', 3, metaV, {
      topics: [{ name: 'diff-missing', topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    })
    await step('metadata of an invalid topic name', 3, metaV, {
      topics: [{ name: 'bad name!', topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    })
    const createV = v(19)
    const create = (
      name: string,
      partitions: number,
      rf: number,
      configs: [string, string][] = [],
      validateOnly = false,
    ) =>
      step(
        `create topic ${name} (${partitions} partitions, replication factor ${rf}${validateOnly ? ', validate only' : ''})`,
        19,
        createV,
        {
          topics: [
            {
              name,
              numPartitions: partitions,
              replicationFactor: rf,
              assignments: [],
              configs: configs.map(([n, value]) => ({ name: n, value })),
            },
          ],
          timeoutMs: 10_000,
          validateOnly,
        },
      )
    await create('bad name!', 1, 1)
    await create('diff-invalid-config', 1, 1, [['cleanup.policy', 'sometimes']])
    await create('diff-rf3', 1, 3)
    await create('diff-zero', 0, 1)
    await create('diff-validate', 2, 1, [], true)
    await create(topic, 3, 1, [['retention.ms', '86400000']])
    await create(topic, 3, 1)
    await create('diff-default', -1, -1)
    await step('metadata of the created topic', 3, metaV, {
      topics: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    })

    // ---- produce -------------------------------------------------------------------------
    // Produce v13 names topics by id only: the script caps at 12 so one body serves both.
    const produceV = v(0, 12)
    const produce = (name: string, t: string, partition: number, batch: Buffer, acks = -1) =>
      step(name, 0, produceV, {
        transactionalId: null,
        acks,
        timeoutMs: 10_000,
        topicData: [{ name: t, partitionData: [{ index: partition, records: batch }] }],
      })
    await produce('produce 3 records to partition 0', topic, 0, buildBatch({ records: records(3) }))
    await produce(
      'produce 2 more records to partition 0, acks=1',
      topic,
      0,
      buildBatch({ records: records(2, 3) }),
      1,
    )
    await produce('produce to a partition that does not exist', topic, 7, buildBatch({ records: records(1) }))
    await produce('produce to an unknown topic', 'diff-missing-2', 0, buildBatch({ records: records(1) }))
    await produce('produce to an invalid topic name', 'bad name!', 0, buildBatch({ records: records(1) }))

    // ---- fetch ---------------------------------------------------------------------------
    const fetchV = v(1, 12)
    const fetch = (name: string, offset: bigint, partition = 0, maxBytes = 1 << 20) =>
      step(
        name,
        1,
        fetchV,
        {
          replicaId: -1,
          maxWaitMs: 10,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic,
              partitions: [
                {
                  partition,
                  fetchOffset: offset,
                  partitionMaxBytes: maxBytes,
                  currentLeaderEpoch: -1,
                  logStartOffset: -1n,
                  lastFetchedEpoch: -1,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        },
        (r) => ({
          ...r,
          responses: r.responses.map((t) => ({
            ...t,
            partitions: t.partitions.map((p) => ({
              ...p,
              records: decodeRecords(p.records as Buffer | null),
            })),
          })),
        }),
      )
    await fetch('fetch partition 0 from offset 0', 0n)
    await fetch('fetch partition 0 from offset 3', 3n)
    await fetch('fetch partition 0 at the high watermark', 5n)
    await fetch('fetch partition 0 out of range', 100n)
    await fetch('fetch an empty partition', 0n, 1)
    await fetch('fetch a partition that does not exist', 0n, 9)

    // ---- list offsets ----------------------------------------------------------------------
    const listV = v(2)
    const list = (name: string, timestamp: bigint, partition = 0) =>
      step(name, 2, listV, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] },
        ],
        timeoutMs: 10_000,
      })
    await list('list offsets: earliest', -2n)
    await list('list offsets: latest', -1n)
    await list('list offsets: max timestamp', -3n)
    await list('list offsets: earliest local', -4n)
    await list('list offsets: by a timestamp before the log', BigInt(T0 - 5000))
    await list('list offsets: by the timestamp of record 2', BigInt(T0 + 2000))
    await list('list offsets: by a timestamp between records 2 and 3', BigInt(T0 + 2500))
    await list('list offsets: by a timestamp after the log', BigInt(T0 + 60_000))
    await list('list offsets: latest of an empty partition', -1n, 2)
    await list('list offsets: by timestamp in an empty partition', BigInt(T0), 2)
    await list('list offsets: a partition that does not exist', -1n, 11)
    await list('list offsets: latest tiered (-5)', -5n)
    await list('list offsets: earliest pending upload (-6)', -6n)
    await list('list offsets: an undefined special timestamp (-7)', -7n)
    const listAt = (name: string, version: number, timestamp: bigint) =>
      step(name, 2, version, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
        timeoutMs: 10_000,
      })
    await listAt('list offsets v6: max timestamp, defined from v7', Math.min(6, listV), -3n)
    await listAt('list offsets v7: earliest local, defined from v8', Math.min(7, listV), -4n)

    // ---- configs ---------------------------------------------------------------------------
    const describeV = v(32)
    const describeConfigs = (name: string, type: number, resource: string, keys: string[] | null) =>
      step(name, 32, describeV, {
        resources: [{ resourceType: type, resourceName: resource, configurationKeys: keys }],
        includeSynonyms: false,
        includeDocumentation: false,
      })
    const TOPIC_KEYS = [
      'cleanup.policy',
      'retention.ms',
      'retention.bytes',
      'segment.bytes',
      'segment.ms',
      'max.message.bytes',
      'min.insync.replicas',
      'message.timestamp.type',
      'compression.type',
      'delete.retention.ms',
      'min.cleanable.dirty.ratio',
      'unknown.config',
    ]
    await describeConfigs('describe configs of the topic', 2, topic, TOPIC_KEYS)
    await describeConfigs('describe configs of an unknown topic', 2, 'diff-missing', ['cleanup.policy'])
    await describeConfigs('describe configs of the broker', 4, '1', [
      'auto.create.topics.enable',
      'num.partitions',
      'default.replication.factor',
      'message.max.bytes',
      'log.segment.bytes',
      'log.retention.hours',
      'log.retention.ms',
      'log.cleanup.policy',
      'delete.topic.enable',
      'offsets.topic.num.partitions',
    ])
    await describeConfigs('describe configs of another broker id', 4, '99', ['num.partitions'])

    // ---- a group's lifecycle ---------------------------------------------------------------
    const group = 'diff-group'
    await step('find the group coordinator', 10, v(10), { key: group, keyType: 0, coordinatorKeys: [group] })
    const joinV = v(11)
    const protocols = [
      { name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 6, ...Buffer.from(topic), 0, 0, 0, 0]) },
    ]
    const join = (memberId: string) =>
      step(`join group (member id ${memberId ? 'given' : 'empty'})`, 11, joinV, {
        groupId: group,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols,
        reason: null,
      })
    const first = await join('')
    const joined = first.errorCode === ErrorCode.MEMBER_ID_REQUIRED ? await join(first.memberId) : first
    const memberId = joined.memberId
    await step('sync group as leader', 14, v(14), {
      groupId: group,
      generationId: joined.generationId,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId, assignment: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }],
    })
    await step('heartbeat', 12, v(12), {
      groupId: group,
      generationId: joined.generationId,
      memberId,
      groupInstanceId: null,
    })
    await step('heartbeat with a wrong generation', 12, v(12), {
      groupId: group,
      generationId: joined.generationId + 5,
      memberId,
      groupInstanceId: null,
    })
    const commitV = v(8, 9)
    await step('commit offsets', 8, commitV, {
      groupId: group,
      generationIdOrMemberEpoch: joined.generationId,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: 'm' },
            { partitionIndex: 9, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    })
    await step('commit offsets as an unknown member', 8, commitV, {
      groupId: group,
      generationIdOrMemberEpoch: joined.generationId,
      memberId: 'nobody',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    })
    const fetchOffsetsV = v(9, 9)
    await step('fetch committed offsets', 9, fetchOffsetsV, {
      groups: [
        {
          groupId: group,
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: topic, partitionIndexes: [0, 1] }],
        },
      ],
      requireStable: true,
    })
    await step(
      'describe the group',
      15,
      v(15),
      { groups: [group, 'diff-no-such-group'], includeAuthorizedOperations: false },
      (r) => ({
        ...r,
        groups: r.groups.map((g) => ({
          ...g,
          members: g.members.map((m) => ({ ...m, clientHost: '<host>' })),
        })),
      }),
    )
    await step('list groups', 16, v(16), { statesFilter: [], typesFilter: [] })
    await step('leave the group', 13, v(13), {
      groupId: group,
      memberId: '',
      members: [{ memberId, groupInstanceId: null, reason: 'done' }],
    })
    await step('describe the group after the last member left', 15, v(15), {
      groups: [group],
      includeAuthorizedOperations: false,
    })
    await step('delete the group and an unknown one', 42, v(42), {
      groupsNames: [group, 'diff-no-such-group'],
    })

    // ---- records, producers, deletion --------------------------------------------------------
    await step('init producer id without a transaction', 22, v(22), {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    })
    const deleteRecordsV = v(21)
    await step('delete records below offset 2', 21, deleteRecordsV, {
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 2n }] }],
      timeoutMs: 10_000,
    })
    await step('delete records beyond the high watermark', 21, deleteRecordsV, {
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 50n }] }],
      timeoutMs: 10_000,
    })
    await list('list offsets: earliest after deleting records', -2n)
    await fetch('fetch below the new log start', 0n)
    await step('create partitions: to 5', 37, v(37), {
      topics: [{ name: topic, count: 5, assignments: null }],
      timeoutMs: 10_000,
      validateOnly: false,
    })
    await step('create partitions: fewer than now', 37, v(37), {
      topics: [{ name: topic, count: 2, assignments: null }],
      timeoutMs: 10_000,
      validateOnly: false,
    })
    const deleteV = v(20, 5) // v6 names topics by id
    await step('delete an unknown topic', 20, deleteV, { topicNames: ['diff-missing-3'], timeoutMs: 10_000 })
    await step('delete the topics', 20, deleteV, { topicNames: [topic, 'diff-default'], timeoutMs: 10_000 })
    return answers
  } finally {
    c.close()
  }
}
