// `runnel ... | head`: when the reader of stdout goes away the CLI stops quietly with exit code
// 0, as Unix tools do, rather than reporting "unexpected error: write EPIPE ... This is a bug".
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, test } from 'node:test'
import { Producer } from '@platformatic/kafka'
import { BIN_ARGS, type TestBroker, testBroker } from './support/cli.ts'

let kafka: TestBroker
before(async () => {
  kafka = await testBroker({ piped: 1 })
  const producer = new Producer({ clientId: 'epipe-test', bootstrapBrokers: [kafka.broker.bootstrap] })
  try {
    // ~600 KB of output: far more than a pipe holds, so the writer meets the closed pipe.
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({
        messages: Array.from({ length: 1000 }, (_, i) => ({
          topic: 'piped',
          partition: 0,
          value: Buffer.from(`record ${batch * 1000 + i} ${'x'.repeat(100)}`),
        })),
      })
    }
  } finally {
    await producer.close()
  }
})
after(async () => {
  await kafka?.close()
})

/** Runs `runnel <args> 2>err | <reader>` in bash: the reader's output, runnel's stderr and exit code. */
async function piped(args: string[], reader: string) {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`
  const runnel = [process.execPath, ...BIN_ARGS, ...args, ...kafka.flag]
  const script = `err=$(mktemp); ${runnel.map(quote).join(' ')} 2>"$err" | ${reader}; code=\${PIPESTATUS[0]}; cat "$err" >&2; rm -f "$err"; exit $code`
  // Not spawnSync: the broker runs in this process and must go on answering.
  const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  const r = { stdout: '', stderr: '', status: null as number | null }
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    r.stdout += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    r.stderr += d
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  r.status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  clearTimeout(timer)
  return r
}

test('consume piped into head -n 3: three lines, exit 0, nothing on stderr', async () => {
  const r = await piped(['consume', 'piped', '--from-beginning', '--exit-at-end'], 'head -n 3')
  assert.equal(r.stdout.split('\n').filter((l) => l !== '').length, 3, r.stdout)
  assert.equal(r.stderr, '', 'nothing on stderr')
  assert.equal(r.status, 0, 'runnel exits 0')
})

test('topic describe into a reader that reads nothing (true): exit 0, nothing on stderr', async () => {
  const r = await piped(['topic', 'describe', 'piped'], 'true')
  assert.equal(r.stderr, '', 'nothing on stderr')
  assert.equal(r.status, 0, 'runnel exits 0')
})
