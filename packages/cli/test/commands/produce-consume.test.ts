// `runnel produce` and `runnel consume` (without a group) against a real broker.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Producer } from '@platformatic/kafka'
import { inTerminal, killAll, oneLine, runnel, type TestBroker, testBroker } from '../support/cli.ts'

let kafka: TestBroker
const run = (args: string[], stdin?: string) => runnel([...args, ...kafka.flag], { stdin })

interface JsonRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null | { base64: string }
  value: string | null | { base64: string }
  headers: { key: string; value: string }[]
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as JsonRecord)

before(async () => {
  kafka = await testBroker({ keyed: 3, java: 7, formatted: 2, binary: 1, small: 2, bulk: 3 })
})
after(async () => {
  killAll()
  await kafka?.close()
})

describe('runnel produce and consume', { concurrency: true }, () => {
  test('keys from a separator, headers, and a summary of partitions and offsets; read back as JSON lines', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `user-${i % 6}:event ${i}`).join('\n')
    const produced = await run(
      ['produce', 'keyed', '--key-separator', ':', '-H', 'ce_type=Clicked', '-H', 'src=cli', '--json'],
      `${lines}\n`,
    )
    assert.equal(produced.code, 0, produced.stderr)
    const summary = JSON.parse(produced.stdout) as {
      topic: string
      records: number
      partitions: { partition: number; records: number; firstOffset: number; lastOffset: number }[]
    }
    assert.equal(summary.topic, 'keyed')
    assert.equal(summary.records, 30)
    assert.equal(
      summary.partitions.reduce((n, p) => n + p.records, 0),
      30,
    )
    for (const p of summary.partitions) assert.equal(p.lastOffset - p.firstOffset + 1, p.records)

    const consumed = await run(['consume', 'keyed', '--from-beginning', '--exit-at-end', '--json'])
    assert.equal(consumed.code, 0, consumed.stderr)
    const records = jsonLines(consumed.stdout)
    assert.equal(records.length, 30)
    // Same key, same partition (Kafka's murmur2 partitioner); each key's events in order.
    const partitionOf = new Map<string, number>()
    for (const r of records) {
      assert.equal(r.topic, 'keyed')
      assert.deepEqual(r.headers, [
        { key: 'ce_type', value: 'Clicked' },
        { key: 'src', value: 'cli' },
      ])
      const key = r.key as string
      assert.equal(partitionOf.get(key) ?? r.partition, r.partition)
      partitionOf.set(key, r.partition)
    }
    for (let k = 0; k < 6; k++) {
      const values = records.filter((r) => r.key === `user-${k}`).map((r) => r.value)
      assert.deepEqual(
        values,
        [0, 1, 2, 3, 4].map((j) => `event ${k + 6 * j}`),
      )
    }
  })

  test('keyed records land in the partition the Java client would choose', async () => {
    // Kafka's murmur2 test vectors (UtilsTest); partition = (hash & 0x7fffffff) % partitions.
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['abc', 479470107],
    ]
    const lines = vectors.map(([key]) => `${key}=v`).join('\n')
    assert.equal((await run(['produce', 'java', '-K', '='], `${lines}\n`)).code, 0)
    const records = jsonLines(
      (await run(['consume', 'java', '--from-beginning', '--exit-at-end', '--json'])).stdout,
    )
    for (const [key, hash] of vectors) {
      assert.equal(records.find((r) => r.key === key)?.partition, (hash & 0x7fffffff) % 7, key)
    }
  })

  test('--format prints each placeholder; --partition, --offset and --count choose what is read', async () => {
    const produced = await run(
      ['produce', 'formatted', '--partition', '1', '--key', 'k', '-H', 'h=1'],
      'zero\none\ntwo\nthree\n',
    )
    assert.equal(produced.code, 0, produced.stderr)
    assert.equal(produced.stderr, '', 'no progress bar when stderr is not a terminal')
    assert.match(produced.stdout, /^Produced 4 records to "formatted" in [\d.]+ s\.$/m)
    assert.match(produced.stdout, /^PARTITION\s+RECORDS\s+FIRST OFFSET\s+LAST OFFSET\n1\s+4\s+0\s+3\n$/m)

    const formatted = await run([
      'consume',
      'formatted',
      '--partition',
      '1',
      '--offset',
      '1',
      '--count',
      '2',
      '--format',
      '%t %p %o %k=%v [%h] %K %S %T\\n',
    ])
    assert.equal(formatted.code, 0, formatted.stderr)
    const lines = formatted.stdout.split('\n')
    assert.equal(lines.length, 3)
    assert.match(lines[0], /^formatted 1 1 k=one \[h=1\] 1 3 \d{13}$/)
    assert.match(lines[1], /^formatted 1 2 k=two \[h=1\] 1 3 \d{13}$/)
    assert.equal(lines[2], '')

    const lastTwo = await run(['consume', 'formatted', '--offset', '-2', '--exit-at-end'])
    assert.equal(lastTwo.code, 0, lastTwo.stderr)
    assert.equal(lastTwo.stdout, 'two\nthree\n')
  })

  test('binary values come out byte for byte with --format and as base64 in JSON; timestamps are the producer’s', async () => {
    const producer = new Producer({ clientId: 't', bootstrapBrokers: [kafka.broker.bootstrap] })
    try {
      await producer.send({
        messages: [{ topic: 'binary', value: Buffer.from([0xff, 0x00, 0x0a]), timestamp: 1714564800000n }],
      })
    } finally {
      await producer.close()
    }
    const raw = await runnel([
      'consume',
      'binary',
      '--from-beginning',
      '--count',
      '1',
      '--format',
      '%v',
      ...kafka.flag,
    ])
    assert.equal(raw.code, 0, raw.stderr)
    assert.deepEqual(raw.stdoutBytes, Buffer.from([0xff, 0x00, 0x0a]))
    const json = await run(['consume', 'binary', '--from-beginning', '--count', '1', '--json'])
    assert.deepEqual(jsonLines(json.stdout)[0], {
      topic: 'binary',
      partition: 0,
      offset: 0,
      timestamp: 1714564800000,
      key: null,
      value: { base64: '/wAK' },
      headers: [],
    })
  })

  test('on a terminal, a long produce draws a progress bar, erased before the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runnel-cli-tty-'))
    try {
      const file = join(dir, 'lines.txt')
      writeFileSync(file, Array.from({ length: 300_000 }, (_, i) => `line ${i}\n`).join(''))
      const result = await inTerminal(['produce', 'bulk', ...kafka.flag], file)
      assert.equal(result.code, 0, result.stdout)
      // \r<bar>ESC[K redrawn in place, then erased (\rESC[K) before the summary.
      const screen = result.stdout.replaceAll('\r', '<CR>').replaceAll('\x1b[K', '<EL>')
      assert.match(screen, /<CR>produce \[[#-]+\] +\d+% +[\d,]+\/[\d,]+ bytes +[\d.,kM]+ bytes\/s<EL>/)
      assert.match(screen, /<CR><EL>Produced 300,000 records to "bulk" in [\d.]+ s\./)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('bad input gets one clear sentence and the right exit code', async () => {
    const cases: [string[], number, string][] = [
      [
        ['produce', 'nope'],
        1,
        'runnel produce: Topic "nope" does not exist: create it with `runnel topic create nope`.',
      ],
      [
        ['produce', 'small', '--partition', '2'],
        1,
        'runnel produce: Topic "small" has no partition 2: it has 2 partitions (0 to 1).',
      ],
      [['produce', 'small', '--acks', 'some'], 2, 'runnel produce: --acks must be all, 1 or 0, got "some"'],
      [
        ['produce', 'small', '--key', 'a', '--key-separator', ':'],
        2,
        '--key and --key-separator cannot be used together',
      ],
      [
        ['produce', 'small', '--partition', '-1'],
        2,
        'runnel produce: --partition needs a value; a value starting with "-" is written --partition=-…',
      ],
      [
        ['produce', 'small', '--partition=-1'],
        2,
        'runnel produce: --partition must be a whole number from 0 to 2147483647, got "-1"',
      ],
      [
        ['produce', 'small', '--compression', 'brotli'],
        2,
        '--compression must be one of none, gzip, snappy, lz4, zstd, got "brotli"',
      ],
      [['produce'], 2, 'runnel produce: missing topic. Usage: runnel produce <topic> [options] < lines'],
      [['consume', 'nope'], 1, 'runnel consume: Topic "nope" does not exist.'],
      [
        ['consume', 'small', '--count', '0'],
        2,
        '--count must be a whole number from 1 to 9007199254740991, got "0"',
      ],
      [['consume', 'small', '--offset', '5'], 2, '--offset with a number needs --partition'],
      [
        ['consume', 'small', '--offset', '5', '--partition', '0'],
        1,
        'runnel consume: Offset 5 is not in partition 0 of "small", which is empty (next offset 0).',
      ],
      [
        ['consume', 'small', '--offset', 'soon'],
        2,
        '--offset must be earliest, latest, a number, or -N (N before the end), got "soon"',
      ],
      [
        ['consume', 'small', '--group', 'g', '--partition', '0'],
        2,
        '--partition cannot be used with --group',
      ],
      [['consume', 'small', '--json', '--format', '%v'], 2, '--json and --format cannot be used together'],
      [['consume', 'small', '--format', '%q'], 2, '--format has an unknown placeholder "%q"'],
      [['consume', 'bad/name'], 2, 'runnel consume: topic name "bad/name" is invalid'],
    ]
    await Promise.all(
      cases.map(async ([args, code, sentence]) => {
        const result = await run(args, '')
        assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`)
        assert.ok(oneLine(result.stderr).includes(sentence), `${args.join(' ')}: ${result.stderr}`)
        assert.equal(result.stdout, '')
      }),
    )
  })
})
