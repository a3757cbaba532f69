// The command line itself: help, unknown commands, where to connect, and what a person sees
// when no broker answers (one sentence naming the address, after a bounded wait).
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, test } from 'node:test'
import {
  DEFAULT_TIMEOUT_MS,
  type HungServer,
  hungServer,
  killAll,
  oneLine,
  runnel,
  waitedAfterConnecting,
} from '../support/cli.ts'

/** A port with nothing listening (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let refused: number
let hung: HungServer

before(async () => {
  refused = await closedPort()
  hung = await hungServer()
})
after(async () => {
  killAll()
  await hung.close()
})

describe('runnel', { concurrency: true }, () => {
  test('help: without a command it prints the commands and exits 2; --help exits 0; each verb has help', async () => {
    const bare = await runnel([])
    assert.equal(bare.code, 2)
    for (const command of ['broker', 'topic', 'produce', 'consume', 'group'])
      assert.match(bare.stdout, new RegExp(`^  ${command} `, 'm'))
    assert.equal((await runnel(['--help'])).code, 0)

    const verbs = await runnel(['group', '--help'])
    assert.equal(verbs.code, 0)
    assert.match(verbs.stdout, /^ {2}reset-offsets {2}move a group's committed offsets/m)
    const consume = await runnel(['consume', '--help'])
    assert.equal(consume.code, 0)
    for (const p of ['%t', '%p', '%o', '%k', '%v', '%h', '%T', '%d', '%K', '%S'])
      assert.match(consume.stdout, new RegExp(`^ +${p} `, 'm'))
    const reset = await runnel(['group', 'reset-offsets', '--help'])
    assert.match(reset.stdout, /^ +--to-datetime <when> /m)
    assert.match(reset.stdout, /^ +--brokers <host:port,\.\.\.> /m)
  })

  test('an unknown command or a malformed --brokers is a usage error', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['nope'], {}, 'runnel: unknown command "nope". Run `runnel --help` for the list.'],
      [
        ['topic', 'list', '--brokers', 'localhost:port'],
        {},
        'runnel topic list: --brokers takes host:port[,host:port...], got "localhost:port"',
      ],
      [
        ['topic', 'list'],
        { KAFKA_BROKERS: 'a:1,b:99999' },
        'runnel topic list: KAFKA_BROKERS takes host:port[,host:port...], got "a:1,b:99999"',
      ],
      [
        ['group', 'list', '--timeout', '5'],
        {},
        'runnel group list: --timeout must be a whole number from 100 to 3600000, got "5"',
      ],
    ]
    await Promise.all(
      cases.map(async ([args, env, sentence]) => {
        const result = await runnel(args, { env })
        assert.equal(result.code, 2, result.stderr)
        assert.equal(oneLine(result.stderr), sentence)
      }),
    )
  })

  test('a refused connection: every verb says which address it tried, in one sentence, exit 1', async () => {
    const address = `127.0.0.1:${refused}`
    const sentence = `Cannot reach a Kafka broker at ${address} (connection refused).`
    const cases: [string[], string | undefined][] = [
      [['topic', 'list', '--brokers', address], undefined],
      [['produce', 'orders', '--brokers', address], 'a\n'],
      [['consume', 'orders', '--brokers', address], undefined],
      // KAFKA_BROKERS is where to connect when --brokers is not given.
      [['group', 'list'], undefined],
    ]
    await Promise.all(
      cases.map(async ([args, stdin]) => {
        const result = await runnel(args, { stdin, env: { KAFKA_BROKERS: address } })
        assert.equal(result.code, 1, result.stderr)
        assert.equal(
          oneLine(result.stderr),
          `runnel ${args.slice(0, args[0] === 'topic' || args[0] === 'group' ? 2 : 1).join(' ')}: ${sentence}`,
        )
      }),
    )
  })
})

// Alone, so its timing is its own.
describe('runnel against a hung broker', () => {
  test('a broker that never answers: the command gives up after --timeout and says so', async () => {
    const result = await runnel([
      'topic',
      'describe',
      'orders',
      '--brokers',
      `127.0.0.1:${hung.port}`,
      '--timeout',
      '1000',
    ])
    const waited = waitedAfterConnecting(hung)
    assert.equal(result.code, 1)
    assert.equal(
      oneLine(result.stderr),
      `runnel topic describe: No Kafka broker answered at 127.0.0.1:${hung.port} within 1000 ms.`,
    )
    // Timed from the connection, not from the start of the process (seconds on a busy machine):
    // well short of the default timeout, so --timeout 1000 was what it waited for.
    assert.ok(waited < DEFAULT_TIMEOUT_MS / 2, `gave up ${waited} ms after connecting`)
  })
})
