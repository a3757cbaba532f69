import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { compressSync as snappyRaw } from 'snappy'
import { compress, decompress } from '../../src/compression/index.ts'
import { CompressionType } from '../../src/records/batch-header.ts'
import { CorruptRecordError } from '../../src/records/corrupt-record-error.ts'
import { pythonUnavailable, runPython } from '../records/kafka-python.ts'

const CODECS = [
  ['gzip', CompressionType.gzip],
  ['snappy', CompressionType.snappy],
  ['lz4', CompressionType.lz4],
  ['zstd', CompressionType.zstd],
] as const

// Deterministic PRNG so a failing fuzz case can be replayed.
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 0x100000000
  }
}

/** Text-like bytes that compress well but not trivially. */
function compressible(size: number, seed = 1): Buffer {
  const rand = prng(seed)
  const words = ['order', 'payment', 'inventory', 'shipped', 'customer', '{"id":', '},', 'kafka', ' ']
  const out = Buffer.allocUnsafe(size)
  let pos = 0
  while (pos < size) pos += out.write(words[Math.floor(rand() * words.length)], pos, 'latin1')
  return out
}

const SAMPLES: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from([0x42])],
  ['short text', Buffer.from('hello kafka')],
  ['100 KiB of text', compressible(100 * 1024)],
  ['300 KiB random', randomBytes(300 * 1024)],
  ['5 MiB zeros then text', Buffer.concat([Buffer.alloc(3 * 1024 * 1024), compressible(2 * 1024 * 1024, 7)])],
]

function assertCorrupt(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CorruptRecordError, `expected CorruptRecordError, got ${String(err)}`)
    assert.equal(err.code, 'RUNNEL_CORRUPT_RECORD')
    if (message) assert.match(err.message, message)
    return true
  })
}

describe('compress/decompress round trips', () => {
  for (const [name, type] of CODECS) {
    for (const [label, data] of SAMPLES) {
      it(`${name}: ${label}`, () => {
        const packed = compress(type, data)
        if (data.length >= 100 * 1024 && label !== '300 KiB random')
          assert.ok(packed.length < data.length / 2)
        assert.ok(decompress(type, packed).equals(data))
      })
    }
  }

  it('none hands the same buffer back both ways', () => {
    const data = Buffer.from('as is')
    assert.equal(compress(CompressionType.none, data), data)
    assert.equal(decompress(CompressionType.none, data), data)
  })

  it('compressing with an unknown codec is a programming error', () => {
    assert.throws(() => compress(5 as CompressionType, Buffer.from('x')), RangeError)
  })
})

describe('snappy framing', () => {
  const HEADER = '82534e415050590000000001' + '00000001'

  it('writes snappy-java framing: header, then 32 KiB input blocks with int32 lengths', () => {
    const data = compressible(70_000)
    const framed = compress(CompressionType.snappy, data)
    assert.equal(framed.subarray(0, 16).toString('hex'), HEADER)
    const blockInputs: number[] = []
    let pos = 16
    while (pos < framed.length) {
      const length = framed.readInt32BE(pos)
      const block = framed.subarray(pos + 4, pos + 4 + length)
      blockInputs.push(decompress(CompressionType.snappy, block).length) // a block is raw snappy
      pos += 4 + length
    }
    assert.equal(pos, framed.length)
    assert.deepEqual(blockInputs, [32768, 32768, 70_000 - 65536])
  })

  it('writes one empty block for empty input (librdkafka needs more than the header)', () => {
    const framed = compress(CompressionType.snappy, Buffer.alloc(0))
    assert.equal(framed.toString('hex'), `${HEADER}0000000100`)
  })

  it('reads plain raw snappy, as librdkafka and kafkajs write it', () => {
    const data = compressible(50_000, 3)
    assert.ok(decompress(CompressionType.snappy, snappyRaw(data) as Buffer).equals(data))
  })

  it('reads framed streams concatenated, as snappy-java does', () => {
    const a = compressible(40_000, 4)
    const b = compressible(10_000, 5)
    const joined = Buffer.concat([compress(CompressionType.snappy, a), compress(CompressionType.snappy, b)])
    assert.ok(decompress(CompressionType.snappy, joined).equals(Buffer.concat([a, b])))
  })

  it('rejects a raw block whose preamble claims more than snappy can expand to', () => {
    // Claims 2^32-1 bytes from one literal byte: refused before anything is allocated.
    assertCorrupt(
      () => decompress(CompressionType.snappy, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x41])),
      /claims 4294967295 bytes/,
    )
  })

  it('rejects framing whose block length runs past the end', () => {
    const framed = compress(CompressionType.snappy, compressible(1000))
    framed.writeInt32BE(framed.length, 16)
    assertCorrupt(() => decompress(CompressionType.snappy, framed), /block of/)
  })
})

describe('lz4 frames', () => {
  it('writes independent blocks without content size (what Kafka Java requires)', () => {
    const frame = compress(CompressionType.lz4, compressible(200_000))
    assert.equal(frame.readUInt32LE(0), 0x184d2204)
    const flg = frame[4]
    assert.equal(flg >> 6, 1, 'version 01')
    assert.equal(flg & 0x20, 0x20, 'block independence')
    assert.equal(flg & 0x08, 0, 'no content size')
    assert.equal(frame.readUInt32LE(frame.length - 4), 0, 'ends with the end mark')
  })

  it('rejects a content size larger than the blocks can hold, before decoding', () => {
    // magic, FLG = version 1 | independent | content size, BD = 64 KiB, size 2^40, HC,
    // one stored block of 3 bytes, end mark.
    const frame = Buffer.from(
      '04224d186840' + '0000000000010000' + '00' + '03000080616263' + '00000000',
      'hex',
    )
    assertCorrupt(() => decompress(CompressionType.lz4, frame), /declares 1099511627776 bytes/)
  })

  it('rejects a frame cut inside its header, which the native decoder reads as empty', () => {
    const frame = compress(CompressionType.lz4, Buffer.from('some records'))
    for (const cut of [4, 6, 7]) assertCorrupt(() => decompress(CompressionType.lz4, frame.subarray(0, cut)))
  })
})

describe('zstd frames', () => {
  it('rejects a declared content size over the limit without allocating it', () => {
    // magic, FHD = 8-byte content size + single segment, size 2^40, one raw last block of 1 byte.
    const frame = Buffer.from('28b52ffd' + 'e0' + '0000000000010000' + '090000' + '41', 'hex')
    assertCorrupt(() => decompress(CompressionType.zstd, frame), /declares 1099511627776 bytes/)
  })

  it('reads several frames one after another', () => {
    const a = compressible(20_000, 8)
    const b = compressible(30_000, 9)
    const joined = Buffer.concat([compress(CompressionType.zstd, a), compress(CompressionType.zstd, b)])
    assert.ok(decompress(CompressionType.zstd, joined).equals(Buffer.concat([a, b])))
  })
})

describe('corrupt payloads fail with CorruptRecordError', () => {
  const data = compressible(3000, 11)

  for (const [name, type] of CODECS) {
    it(`${name}: every truncation`, () => {
      const packed = compress(type, data)
      // Snappy framing has no end mark: a cut exactly between blocks (or after the header)
      // is a shorter valid stream. 3000 bytes make a single block, so only the header cut.
      const validPrefixes = type === CompressionType.snappy ? new Set([16]) : new Set<number>()
      for (let cut = 0; cut < packed.length; cut++) {
        if (validPrefixes.has(cut)) continue
        assertCorrupt(() => decompress(type, packed.subarray(0, cut)))
      }
    })

    it(`${name}: empty payload`, () => {
      assertCorrupt(() => decompress(type, Buffer.alloc(0)))
    })

    it(`${name}: output over maxDecompressedBytes`, () => {
      const packed = compress(type, Buffer.alloc(1024 * 1024))
      assertCorrupt(() => decompress(type, packed, { maxDecompressedBytes: 64 * 1024 }), /more than|over/)
      assert.equal(decompress(type, packed, { maxDecompressedBytes: 1024 * 1024 }).length, 1024 * 1024)
    })

    it(`${name}: 2000 random mutations and garbage inputs never escape as another error`, () => {
      const rand = prng(0xc0dec + type)
      const packed = compress(type, data)
      let decoded = 0
      for (let i = 0; i < 2000; i++) {
        let input: Buffer
        if (i % 4 === 0) {
          input = Buffer.from(
            Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)),
          )
        } else {
          input = Buffer.from(packed)
          const flips = 1 + Math.floor(rand() * 4)
          for (let f = 0; f < flips; f++) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256)
        }
        try {
          decompress(type, input)
          decoded++
        } catch (err) {
          if (!(err instanceof CorruptRecordError)) throw err
        }
      }
      // Most mutations must be caught (a flipped literal byte can still decode).
      assert.ok(decoded < 1000, `${decoded} of 2000 corrupt inputs decoded`)
    })
  }

  for (const type of [5, 6, 7]) {
    it(`codec ${type} does not exist`, () => {
      assertCorrupt(() => decompress(type, Buffer.from('abc')), /unsupported compression type/)
    })
  }

  it('a library error is wrapped, with the original as cause', () => {
    try {
      decompress(CompressionType.gzip, Buffer.from('not gzip at all'))
      assert.fail('decompressed garbage')
    } catch (err) {
      assert.ok(err instanceof CorruptRecordError)
      assert.ok(err instanceof Error)
      assert.equal(err.name, 'CorruptRecordError')
      assert.ok(err.cause instanceof Error)
    }
  })
})

describe('codecs against kafka-python and its libraries', { skip: pythonUnavailable }, () => {
  const data = Buffer.concat([compressible(150_000, 21), randomBytes(2000)])

  // Everything kafka-python's codec module (and the lz4/zstd options other clients use) writes.
  const written = runPython<Record<string, string>>(
    `
import json, sys
import lz4.frame, snappy, zstandard
from kafka import codec
data = bytes.fromhex(json.load(sys.stdin))
out = {
  'gzip': codec.gzip_encode(data),
  'snappy-xerial': codec.snappy_encode(data),
  'snappy-raw': snappy.compress(data),
  'lz4-kafka-python': codec.lz4_encode(data),
  'lz4-linked': lz4.frame.compress(data),
  'lz4-no-size': lz4.frame.compress(data, block_linked=False, store_size=False),
  'lz4-checksums': lz4.frame.compress(data, content_checksum=True, block_checksum=True),
  'lz4-4mb-blocks': lz4.frame.compress(data, block_size=lz4.frame.BLOCKSIZE_MAX4MB),
  'zstd-kafka-python': codec.zstd_encode(data),
  'zstd-no-content-size': zstandard.ZstdCompressor(write_content_size=False).compress(data),
}
c = zstandard.ZstdCompressor().compressobj()
out['zstd-streamed'] = c.compress(data) + c.flush()
print(json.dumps({k: v.hex() for k, v in out.items()}))
`,
    data.toString('hex'),
  )
  const typeOf = (name: string) =>
    CODECS.find(([codec]) => name.startsWith(codec))?.[1] ?? assert.fail(`no codec for ${name}`)

  for (const name of Object.keys(written)) {
    it(`reads ${name}`, () => {
      const packed = Buffer.from(written[name], 'hex')
      assert.ok(decompress(typeOf(name), packed).equals(data))
    })
  }

  it('what we write decodes in kafka-python', () => {
    const ours = Object.fromEntries(
      CODECS.map(([name, type]) => [name, compress(type, data).toString('hex')]),
    )
    const digests = runPython<Record<string, string>>(
      `
import json, sys, hashlib
from kafka import codec
ours = {k: bytes.fromhex(v) for k, v in json.load(sys.stdin).items()}
decode = {'gzip': codec.gzip_decode, 'snappy': codec.snappy_decode, 'lz4': codec.lz4_decode, 'zstd': codec.zstd_decode}
print(json.dumps({k: hashlib.sha256(decode[k](v)).hexdigest() for k, v in ours.items()}))
`,
      ours,
    )
    const expected = runPython<string>(
      'import json,sys,hashlib; print(json.dumps(hashlib.sha256(bytes.fromhex(json.load(sys.stdin))).hexdigest()))',
      data.toString('hex'),
    )
    assert.deepEqual(digests, { gzip: expected, snappy: expected, lz4: expected, zstd: expected })
  })
})
