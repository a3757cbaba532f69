// Frames for the fuzz test: valid requests of every API and version the broker advertises
// (encoded with @runnel/protocol), their mutations, and random bytes. Deterministic from a seed.
import { type AnyApiKey, buildBatch, CompressionType, encodeRequest } from '@runnel/protocol'

export type Rng = () => number

/**
 * APIs left out of the fuzz: a valid-but-random request to them changes state for real
 * (creates thousands of partitions, deletes the canary's topic or records, sets its
 * retention to 0), which is honouring a request, not mishandling bad input.
 */
export const STATE_CHANGING_APIS: ReadonlySet<number> = new Set([19, 20, 21, 33, 37, 44])

export interface FuzzContext {
  topic: string
  topicId: string
  partitions: number
}

export interface Template {
  apiKey: number
  version: number
  /** The encoded frame, size prefix included. */
  frame: Buffer
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]
const int = (rng: Rng, n: number) => Math.floor(rng() * n)

/** A valid request body for `apiKey` at `version`; APIs without a rich body get the defaults. */
function body(apiKey: number, version: number, ctx: FuzzContext, rng: Rng): Record<string, unknown> {
  const partition = int(rng, ctx.partitions)
  switch (apiKey) {
    case 0: {
      const codecs: CompressionType[] = [
        CompressionType.none,
        CompressionType.gzip,
        CompressionType.snappy,
        CompressionType.lz4,
      ]
      if (version >= 7) codecs.push(CompressionType.zstd)
      const records = Array.from({ length: 1 + int(rng, 3) }, (_, i) => ({
        key: i === 0 ? null : Buffer.from(`k${i}`),
        value: Buffer.from(`fuzz-${int(rng, 1e6)}`),
        headers: i === 1 ? [{ key: 'h', value: Buffer.from('v') }] : [],
        timestamp: Date.now(),
      }))
      return {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [
          {
            name: ctx.topic,
            partitionData: [
              { index: partition, records: buildBatch({ records, compression: pick(rng, codecs) }) },
            ],
          },
        ],
      }
    }
    case 1:
      return {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 65536,
        isolationLevel: int(rng, 2),
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: ctx.topic,
            topicId: ctx.topicId,
            partitions: [
              {
                partition,
                currentLeaderEpoch: -1,
                fetchOffset: BigInt(int(rng, 5)),
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: 32768,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      }
    case 2:
      return {
        replicaId: -1,
        isolationLevel: int(rng, 2),
        topics: [
          {
            name: ctx.topic,
            partitions: [
              {
                partitionIndex: partition,
                currentLeaderEpoch: -1,
                timestamp: pick(rng, [-1n, -2n, -3n, 0n, BigInt(Date.now())]),
              },
            ],
          },
        ],
      }
    case 3:
      return {
        topics: rng() < 0.2 ? null : [{ topicId: ZERO_UUID, name: ctx.topic }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: rng() < 0.5,
      }
    case 18:
      return { clientSoftwareName: 'runnel-fuzz', clientSoftwareVersion: '1.0.0' }
    case 23:
      return {
        replicaId: -1,
        topics: [{ topic: ctx.topic, partitions: [{ partition, currentLeaderEpoch: 0, leaderEpoch: 0 }] }],
      }
    case 32:
      return {
        resources: [
          {
            resourceType: pick(rng, [2, 4]),
            resourceName: pick(rng, [ctx.topic, '1', '']),
            configurationKeys: null,
          },
        ],
        includeSynonyms: rng() < 0.5,
        includeDocumentation: rng() < 0.5,
      }
    default:
      return {}
  }
}

/** One valid frame per advertised API and version (state-changing APIs left out). */
export function buildTemplates(
  advertised: readonly { apiKey: number; minVersion: number; maxVersion: number }[],
  ctx: FuzzContext,
  rng: Rng,
): Template[] {
  const out: Template[] = []
  for (const api of advertised) {
    if (STATE_CHANGING_APIS.has(api.apiKey)) continue
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      for (let copy = 0; copy < 3; copy++) {
        const frame = Buffer.concat(
          encodeRequest(
            api.apiKey as AnyApiKey,
            version,
            1 + int(rng, 1e6),
            'fuzz',
            body(api.apiKey, version, ctx, rng) as never,
          ),
        )
        out.push({ apiKey: api.apiKey, version, frame })
      }
    }
  }
  return out
}

const INTERESTING_16 = [0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, -0x8000]
const INTERESTING_32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0x10000, 0xffff, 100 * 1024 * 1024]

/**
 * Mutates the bytes after the size prefix 1-4 times and fixes the size to match, so the
 * broker reads exactly one (broken) frame.
 */
export function mutate(frame: Buffer, rng: Rng): Buffer {
  let b = Buffer.from(frame.subarray(4))
  const mutations = 1 + int(rng, 4)
  for (let m = 0; m < mutations; m++) {
    const at = int(rng, Math.max(b.length, 1))
    switch (int(rng, 9)) {
      case 0: // flip a bit
        if (b.length > 0) b[at] ^= 1 << int(rng, 8)
        break
      case 1: // a random byte
        if (b.length > 0) b[at] = int(rng, 256)
        break
      case 2: // an interesting int16
        if (at + 2 <= b.length) b.writeInt16BE(pick(rng, INTERESTING_16), at)
        break
      case 3: // an interesting int32
        if (at + 4 <= b.length) b.writeInt32BE(pick(rng, INTERESTING_32) | 0, at)
        break
      case 4: // truncate
        b = b.subarray(0, at)
        break
      case 5: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1 + int(rng, 16)), b.subarray(at)])
        break
      case 6: // delete a slice
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(rng, 16))])
        break
      case 7: // another version of the same API (often unsupported)
        if (b.length >= 4) b.writeInt16BE(pick(rng, [-1, 0, 1, 2, 3, 5, 9, 12, 13, 17, 18, 127, 32767]), 2)
        break
      case 8: // junk at the end
        b = Buffer.concat([b, randomBytes(rng, 1 + int(rng, 32))])
        break
    }
  }
  return withSize(b)
}

/** Random bytes behind a correct size prefix: a random header, mostly of unknown APIs. */
export function randomFrame(rng: Rng): Buffer {
  const b = randomBytes(rng, int(rng, 160))
  // Half the time a plausible header start (a real API key, a small version).
  if (b.length >= 4 && rng() < 0.5) {
    b.writeInt16BE(int(rng, 70), 0)
    b.writeInt16BE(int(rng, 18), 2)
  }
  return withSize(b)
}

/** A frame whose size prefix lies (negative, huge, or more than is sent): the last frame on its connection. */
export function badSizeFrame(template: Buffer, rng: Rng): Buffer {
  const b = Buffer.from(template)
  const choice = int(rng, 4)
  if (choice === 0) b.writeInt32BE(-1 - int(rng, 1000), 0)
  else if (choice === 1) b.writeInt32BE(100 * 1024 * 1024 + 1 + int(rng, 1e6), 0)
  else if (choice === 2)
    b.writeInt32BE(b.length - 4 + 1 + int(rng, 1000), 0) // promises more than comes
  else b.writeInt32BE(int(rng, 10), 0) // smaller than any header
  return b
}

export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = int(rng, 256)
  return b
}

function withSize(b: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(b.length)
  return Buffer.concat([size, b])
}
