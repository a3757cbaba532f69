import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  apiDescriptor,
  decodeRequest,
  decodeResponse,
  descriptorsByKey,
  encodeRequest,
  encodeResponse,
  type FieldDescriptor,
  inRange,
  messageCodec,
  ProtocolError,
  Reader,
  Writer,
} from '../src/index.ts'

// A small deterministic PRNG so a failing case can be reproduced from its seed.
function prng(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 0x100000000
  }
}

type Rand = () => number
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))

function randomString(rand: Rand): string {
  const alphabet = 'abcXYZ-_.09 é€😀'
  let s = ''
  const n = int(rand, 0, 12)
  for (let i = 0; i < n; i++) s += [...alphabet][int(rand, 0, [...alphabet].length - 1)]
  return s
}

function randomUuid(rand: Rand): string {
  const hex = Array.from({ length: 32 }, () => int(rand, 0, 15).toString(16)).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function randomPrimitive(f: FieldDescriptor, rand: Rand): unknown {
  switch (f.type) {
    case 'bool':
      return rand() < 0.5
    case 'int8':
      return int(rand, -128, 127)
    case 'int16':
      return int(rand, -32768, 32767)
    case 'uint16':
      return int(rand, 0, 65535)
    case 'int32':
      return int(rand, -2147483648, 2147483647)
    case 'uint32':
      return int(rand, 0, 4294967295)
    case 'int64':
      return BigInt.asIntN(64, (BigInt(int(rand, 0, 0xffffffff)) << 32n) | BigInt(int(rand, 0, 0xffffffff)))
    case 'float64':
      return rand() * 1e6
    case 'string':
      return randomString(rand)
    case 'uuid':
      return randomUuid(rand)
    case 'bytes':
    case 'records':
      return Buffer.from(
        Array.from({ length: int(rand, 0, rand() < 0.1 ? 3000 : 20) }, () => int(rand, 0, 255)),
      )
    default:
      throw new Error(`unexpected ${f.type}`)
  }
}

/** A random value for every field of a structure at `version`, and what decoding must give. */
function randomStruct(fields: readonly FieldDescriptor[], version: number, rand: Rand, depth: number) {
  const value: Record<string, unknown> = {}
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue
    value[f.name] = randomField(f, version, rand, depth)
  }
  return value
}

function randomField(f: FieldDescriptor, version: number, rand: Rand, depth: number): unknown {
  const nullable = inRange(f.nullable, version) || (f.type === 'records' && !f.array)
  if (nullable && rand() < 0.2) return null
  const one = () =>
    f.type === 'struct' ? randomStruct(f.fields ?? [], version, rand, depth + 1) : randomPrimitive(f, rand)
  if (f.array) return Array.from({ length: depth > 3 ? 0 : int(rand, 0, 3) }, one)
  return one()
}

/** What decoding yields: the value with every field absent at `version` set to its default. */
function expected(fields: readonly FieldDescriptor[], version: number, value: Record<string, unknown>) {
  const codec = { fields }
  const out: Record<string, unknown> = {}
  for (const f of codec.fields) {
    if (f.name in value) {
      const v = value[f.name]
      if (f.type === 'struct' && v !== null) {
        out[f.name] = f.array
          ? (v as Record<string, unknown>[]).map((e) => expected(f.fields ?? [], version, e))
          : expected(f.fields ?? [], version, v as Record<string, unknown>)
      } else {
        out[f.name] = v
      }
    }
  }
  return out
}

/** Drops fields absent at the version from a decoded object so it compares with `expected`. */
function present(fields: readonly FieldDescriptor[], version: number, decoded: Record<string, unknown>) {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue
    const v = decoded[f.name]
    if (f.type === 'struct' && v !== null && v !== undefined) {
      out[f.name] = f.array
        ? (v as Record<string, unknown>[]).map((e) => present(f.fields ?? [], version, e))
        : present(f.fields ?? [], version, v as Record<string, unknown>)
    } else {
      out[f.name] = v
    }
  }
  return out
}

describe('codec round trips', () => {
  for (const api of descriptorsByKey.values()) {
    for (const kind of ['request', 'response'] as const) {
      const message = api[kind]
      it(`${api.name} ${kind} v${message.validVersions[0]}-${message.validVersions[1]}`, () => {
        for (let version = message.validVersions[0]; version <= message.validVersions[1]; version++) {
          const codec = messageCodec(api.apiKey, version, kind)
          for (let seed = 1; seed <= 12; seed++) {
            const rand = prng(api.apiKey * 1000 + version * 31 + seed)
            const value = randomStruct(message.fields, version, rand, 0)
            const w = new Writer(64)
            codec.encode(w, value)
            const bytes = w.toBuffer()
            assert.equal(bytes.length, w.length)
            const r = new Reader(bytes)
            const decoded = codec.decode(r)
            assert.equal(r.remaining, 0, `${api.name} v${version}: bytes left over`)
            assert.deepEqual(
              present(message.fields, version, decoded),
              expected(message.fields, version, value),
              `${api.name} ${kind} v${version} seed ${seed}`,
            )
          }
        }
      })
    }
  }
})

describe('known bytes', () => {
  it('Metadata request v0 lists topics as an int32 count and int16-length strings', () => {
    const frame = Buffer.concat(encodeRequest(3, 0, 7, 'c', { topics: [{ name: 'ab' }] }))
    // size, api key 3, version 0, correlation 7, client id "c", topics [ "ab" ]
    assert.equal(
      frame.toString('hex'),
      '00000013' + '0003' + '0000' + '00000007' + '000163' + '00000001' + '00026162',
    )
  })

  it('ApiVersions request v3 uses compact strings and header v2 with a classic client id', () => {
    const frame = Buffer.concat(
      encodeRequest(18, 3, 1, 'id', { clientSoftwareName: 'x', clientSoftwareVersion: '1.0' }),
    )
    const expectedHex = '0012' + '0003' + '00000001' + '00026964' + '00' + '0278' + '04312e30' + '00'
    assert.equal(frame.subarray(4).toString('hex'), expectedHex)
    assert.equal(frame.readInt32BE(0), expectedHex.length / 2)
  })

  it('an ApiVersions response keeps response header v0 even at v3', () => {
    const frame = Buffer.concat(
      encodeResponse(18, 3, 9, {
        errorCode: 0,
        apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 11 }],
        throttleTimeMs: 0,
      }),
    )
    // correlation id, then immediately error code (no header tagged-field byte)
    assert.equal(frame.subarray(4, 10).toString('hex'), '000000090000')
    const { correlationId, body } = decodeResponse(18, 3, frame.subarray(4))
    assert.equal(correlationId, 9)
    assert.deepEqual(body.apiKeys, [{ apiKey: 0, minVersion: 3, maxVersion: 11 }])
  })

  it('a flexible response header carries a tagged-field byte', () => {
    const frame = Buffer.concat(encodeResponse(3, 12, 5, { brokers: [], topics: [], controllerId: 1 }))
    assert.equal(frame.subarray(4, 9).toString('hex'), '0000000500')
  })

  it('writes a tagged field only when it differs from its default', () => {
    const base = { transactionalId: null, acks: 1, timeoutMs: 0, topicData: [] }
    const plain = Buffer.concat(encodeResponse(0, 9, 1, { responses: [], throttleTimeMs: 0 }))
    const withEndpoint = Buffer.concat(
      encodeResponse(0, 10, 1, {
        responses: [],
        throttleTimeMs: 0,
        nodeEndpoints: [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
      }),
    )
    assert.ok(withEndpoint.length > plain.length)
    const { body } = decodeResponse(0, 10, withEndpoint.subarray(4))
    assert.deepEqual(body.nodeEndpoints, [{ nodeId: 1, host: 'h', port: 9092, rack: null }])
    assert.ok(base)
  })

  it('records given as a list of buffers encode like their concatenation', () => {
    const a = Buffer.alloc(2000, 1)
    const b = Buffer.alloc(10, 2)
    const body = (records: Buffer | Buffer[]) => ({
      responses: [
        {
          topic: 't',
          partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 5n, records }],
        },
      ],
    })
    const one = Buffer.concat(encodeResponse(1, 11, 1, body(Buffer.concat([a, b]))))
    const many = Buffer.concat(encodeResponse(1, 11, 1, body([a, b])))
    assert.deepEqual(many, one)
  })
})

describe('malformed input', () => {
  it('rejects a truncated frame with RUNNEL_PROTOCOL_TRUNCATED', () => {
    const frame = Buffer.concat(encodeRequest(3, 0, 7, 'c', { topics: [{ name: 'ab' }] })).subarray(4)
    for (let cut = 0; cut < frame.length; cut++) {
      assert.throws(
        () => decodeRequest(frame.subarray(0, cut)),
        (e: unknown) => {
          assert.ok(e instanceof ProtocolError)
          assert.match(e.code, /RUNNEL_PROTOCOL_(TRUNCATED|MALFORMED)/)
          return true
        },
      )
    }
  })

  it('reads what it knows of a request and ignores bytes after the body, as Kafka does', () => {
    // librdkafka 2.16 (the confluent-kafka 2.16.2 wheel) asking for all topics: Metadata v12 with
    // three bytes after the tagged fields. Refusing them closed every such client's connection.
    const frame = Buffer.from('0003000c00000003000772646b61666b610000000000010000', 'hex')
    const { header, body } = decodeRequest(frame)
    assert.deepEqual(header, { apiKey: 3, apiVersion: 12, correlationId: 3, clientId: 'rdkafka' })
    assert.deepEqual((body as { topics: unknown }).topics, null, 'all topics')
    // A body that ends early is still malformed.
    assert.throws(
      () => decodeRequest(frame.subarray(0, 21)),
      (e: unknown) => e instanceof ProtocolError,
    )
  })

  it('rejects an array count larger than the frame before allocating it', () => {
    const w = new Writer()
    w.int16(3).int16(0).int32(1).nullableString('c').int32(0x7fffffff)
    assert.throws(() => decodeRequest(w.toBuffer()), { code: 'RUNNEL_PROTOCOL_MALFORMED' })
  })

  it('rejects a null in a string the schema says is never null, naming the field', () => {
    // CreateTopics v0: topics[0].name is a non-nullable string; -1 is a null.
    const w = new Writer()
    w.int16(19).int16(0).int32(1).nullableString('c').int32(1).int16(-1)
    assert.throws(() => decodeRequest(w.toBuffer()), {
      code: 'RUNNEL_PROTOCOL_MALFORMED',
      message: 'non-nullable field name was serialized as null',
    })
  })

  it('rejects unknown API keys and versions with their own codes', () => {
    const w = new Writer()
    w.int16(999).int16(0).int32(1).nullableString(null)
    assert.throws(() => decodeRequest(w.toBuffer()), { code: 'RUNNEL_PROTOCOL_UNKNOWN_API' })
    const v = new Writer()
    v.int16(0).int16(99).int32(1).nullableString(null)
    assert.throws(() => decodeRequest(v.toBuffer()), { code: 'RUNNEL_PROTOCOL_UNSUPPORTED_VERSION' })
  })

  it('never throws anything but ProtocolError on random bytes', () => {
    const rand = prng(42)
    for (let i = 0; i < 20000; i++) {
      const len = int(rand, 0, 64)
      const buf = Buffer.from(Array.from({ length: len }, () => int(rand, 0, 255)))
      if (len >= 4) {
        // Aim at real APIs and versions so the body decoders see the garbage.
        const keys = [...descriptorsByKey.keys()]
        buf.writeInt16BE(keys[int(rand, 0, keys.length - 1)], 0)
        const d = apiDescriptor(buf.readInt16BE(0))!
        buf.writeInt16BE(int(rand, d.request.validVersions[0], d.request.validVersions[1]), 2)
      }
      try {
        decodeRequest(buf)
      } catch (e) {
        assert.ok(e instanceof ProtocolError, `unexpected ${(e as Error).stack}`)
      }
    }
  })
})
