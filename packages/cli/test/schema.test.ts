// `runnel schema list|get|register|check|delete` through the real command line, against a real
// registry started in this process on 127.0.0.1 (in memory: no Kafka needed). Each test uses its
// own subjects, so the tests run side by side; every child is killed by PID in after().
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createMemoryStore, type RunningRegistry, startRegistry } from '@runnel/registry/server'
import {
  DEFAULT_TIMEOUT_MS,
  type HungServer,
  hungServer,
  killAll,
  oneLine,
  type RunResult,
  runnel,
  waitedAfterConnecting,
} from './support/cli.ts'

let registry: RunningRegistry
let dir: string
let hung: HungServer

const record = (name: string, fields: object[]) =>
  JSON.stringify({ type: 'record', name, namespace: 'shop', fields })

// Schema files, as a project keeps them next to its code.
const FILES: Record<string, string> = {
  'order-v1.avsc': record('Order', [{ name: 'id', type: 'string' }]),
  // BACKWARD-compatible: the new field has a default.
  'order-v2.avsc': record('Order', [
    { name: 'id', type: 'string' },
    { name: 'note', type: 'string', default: '' },
  ]),
  // Not BACKWARD-compatible: a consumer with this schema cannot read old records without `email`.
  'order-email.avsc': record('Order', [
    { name: 'id', type: 'string' },
    { name: 'email', type: 'string' },
  ]),
  'bad-type.avsc': record('Order', [{ name: 'id', type: 'strin' }]),
  'customer-v1.json': JSON.stringify({
    type: 'object',
    properties: { id: { type: 'string' } },
    additionalProperties: false,
  }),
  // Closed content model: an optional property may be added...
  'customer-v2.json': JSON.stringify({
    type: 'object',
    properties: { id: { type: 'string' }, name: { type: 'string' } },
    additionalProperties: false,
  }),
  // ...a required one without a default may not.
  'customer-age.json': JSON.stringify({
    type: 'object',
    properties: { id: { type: 'string' }, age: { type: 'integer' } },
    required: ['age'],
    additionalProperties: false,
  }),
  'payment-v1.proto':
    'syntax = "proto3";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n  int64 amount = 2;\n}\n',
  'payment-v2.proto':
    'syntax = "proto3";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n  int64 amount = 2;\n  string currency = 3;\n}\n',
  // int64 -> string changes the field's wire type.
  'payment-string.proto':
    'syntax = "proto3";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n  string amount = 2;\n}\n',
  'broken.proto': 'syntax = "proto3";\nmessage {\n',
  // payment-v1.proto written differently: fields out of order, a comment, other spacing.
  'payment-v1-reordered.proto':
    'syntax = "proto3";\npackage shop;\n// money\nmessage Payment {\n    int64 amount = 2;\n    string id = 1;\n}\n',
}

const file = (name: string) => join(dir, name)

/** `runnel schema <args>` against the test registry (through SCHEMA_REGISTRY_URL). */
function schema(...args: string[]): Promise<RunResult> {
  return runnel(['schema', ...args], { env: { SCHEMA_REGISTRY_URL: registry.url } })
}

function ok(result: RunResult): RunResult {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result
}

function failed(result: RunResult, code = 1): string {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return oneLine(result.stderr)
}

/** A port with nothing listening (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

before(async () => {
  registry = await startRegistry({ store: createMemoryStore(), port: 0, host: '127.0.0.1' })
  dir = mkdtempSync(join(tmpdir(), 'runnel-schema-test-'))
  for (const [name, text] of Object.entries(FILES)) writeFileSync(file(name), text)
  hung = await hungServer()
})

after(async () => {
  killAll()
  await hung.close()
  await registry.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('runnel schema', { concurrency: true }, () => {
  test('--normalize: an equivalent schema written differently is the one already registered', async () => {
    const first = JSON.parse(
      ok(await schema('register', 'normalized-value', file('payment-v1.proto'), '--normalize', '--json'))
        .stdout,
    )
    const same = JSON.parse(
      ok(
        await schema(
          'register',
          'normalized-value',
          file('payment-v1-reordered.proto'),
          '--normalize',
          '--json',
        ),
      ).stdout,
    )
    assert.deepEqual(
      [same.id, same.version, same.alreadyRegistered],
      [first.id, 1, true],
      'normalized, the reordered file is the registered schema',
    )
    const plain = JSON.parse(
      ok(await schema('register', 'normalized-value', file('payment-v1-reordered.proto'), '--json')).stdout,
    )
    assert.deepEqual(
      [plain.version, plain.alreadyRegistered],
      [2, false],
      'without --normalize it is new text',
    )
    const checked = ok(await schema('check', 'normalized-value', file('payment-v2.proto'), '--normalize'))
    assert.equal(checked.stdout, 'compatible with normalized-value (BACKWARD)\n')
  })

  test('Avro: register, again (same id), check compatible and not, a refused register, get, list', async () => {
    const first = ok(await schema('register', 'orders-value', file('order-v1.avsc'), '--json'))
    const { id, version } = JSON.parse(first.stdout)
    assert.equal(version, 1)
    const again = ok(await schema('register', 'orders-value', file('order-v1.avsc')))
    assert.match(again.stdout, new RegExp(`^orders-value +1 +${id} +already registered$`, 'm'))

    const compatible = ok(await schema('check', 'orders-value', file('order-v2.avsc')))
    assert.equal(compatible.stdout, 'compatible with orders-value (BACKWARD)\n')

    const incompatible = await schema('check', 'orders-value', file('order-email.avsc'))
    assert.equal(
      failed(incompatible),
      `runnel schema check: "${file('order-email.avsc')}" is not compatible with subject "orders-value" (BACKWARD): 1 reason`,
    )
    assert.match(incompatible.stdout, /^not compatible with orders-value \(BACKWARD\):$/m)
    assert.match(
      incompatible.stdout,
      /^1 +READER_FIELD_MISSING_DEFAULT_VALUE +The field 'email' .*no default value/m,
    )

    // The registry refuses it the same way, with the reason in the one sentence.
    const refused = failed(await schema('register', 'orders-value', file('order-email.avsc')))
    assert.match(refused, /: version 1: READER_FIELD_MISSING_DEFAULT_VALUE: The field 'email' .* \(409\)$/)

    const second = JSON.parse(
      ok(await schema('register', 'orders-value', file('order-v2.avsc'), '--json')).stdout,
    )
    assert.deepEqual(second, {
      subject: 'orders-value',
      version: 2,
      id: second.id,
      alreadyRegistered: false,
      schemaType: 'AVRO',
    })
    assert.notEqual(second.id, id)

    const latest = ok(await schema('get', 'orders-value'))
    assert.match(latest.stdout, /^VERSION +2$/m)
    assert.match(latest.stdout, /^TYPE +AVRO$/m)
    assert.match(latest.stdout, /^COMPATIBILITY +BACKWARD$/m)
    // Pretty: one property a line.
    assert.match(latest.stdout, /^ {6}"name": "note",$/m)

    const v1 = JSON.parse(ok(await schema('get', 'orders-value', '--version', '1', '--json')).stdout)
    assert.deepEqual(JSON.parse(v1.schema), JSON.parse(FILES['order-v1.avsc']))
    assert.deepEqual([v1.subject, v1.version, v1.id, v1.schemaType], ['orders-value', 1, id, 'AVRO'])

    const byId = ok(await schema('get', '--id', String(id)))
    assert.match(byId.stdout, /^SUBJECTS +orders-value:1$/m)

    const listed = JSON.parse(ok(await schema('list', '--prefix', 'orders-', '--json')).stdout)
    assert.deepEqual(listed, [
      {
        subject: 'orders-value',
        version: 2,
        id: second.id,
        schemaType: 'AVRO',
        compatibility: 'BACKWARD',
        deleted: false,
      },
    ])
  })

  test('JSON Schema: an optional property in a closed model passes, a required one without a default fails naming it', async () => {
    ok(await schema('register', 'customers-value', file('customer-v1.json')))
    ok(await schema('check', 'customers-value', file('customer-v2.json')))
    const refused = await schema('check', 'customers-value', file('customer-age.json'), '--json')
    failed(refused)
    const answer = JSON.parse(refused.stdout)
    assert.equal(answer.compatible, false)
    assert.equal(answer.reasons[0].rule, 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL')
    assert.match(answer.reasons[0].description, /'age'/)
  })

  test('Protobuf: stored as written, a new field passes, a changed wire type fails naming the field', async () => {
    const registered = ok(await schema('register', 'payments-value', file('payment-v1.proto')))
    assert.match(registered.stdout, /^payments-value +1 +\d+ +registered$/m)
    const got = ok(await schema('get', 'payments-value'))
    assert.match(got.stdout, /^TYPE +PROTOBUF$/m)
    assert.ok(got.stdout.endsWith(`\n\n${FILES['payment-v1.proto']}`), got.stdout)
    ok(await schema('check', 'payments-value', file('payment-v2.proto'), '--version', 'all'))
    const refused = await schema(
      'check',
      'payments-value',
      file('payment-string.proto'),
      '--version',
      'latest',
    )
    failed(refused)
    assert.match(refused.stdout, /^1 +FIELD_SCALAR_KIND_CHANGED +.*'amount'/m)
  })

  test('check against a subject that does not exist yet: compatible, and says why', async () => {
    const result = ok(await schema('check', 'brand-new-value', file('order-email.avsc')))
    assert.equal(
      result.stdout,
      'compatible with brand-new-value: the subject does not exist yet, so there is nothing to be incompatible with\n',
    )
  })

  test('delete: --permanent first is refused and says to soft-delete; soft, then permanent', async () => {
    ok(await schema('register', 'deleted-value', file('order-v1.avsc')))
    assert.equal(
      failed(await schema('delete', 'deleted-value', '--permanent')),
      'runnel schema delete: subject "deleted-value" must be soft-deleted before it can be deleted permanently: run `runnel schema delete deleted-value` first, then again with --permanent (40405)',
    )
    const soft = ok(await schema('delete', 'deleted-value'))
    assert.match(soft.stdout, /^deleted-value +1 +soft-deleted$/m)
    assert.match(soft.stderr, /add --permanent/)
    assert.equal(JSON.parse(ok(await schema('list', '--prefix', 'deleted-', '--json')).stdout).length, 0)
    assert.match(
      ok(await schema('list', '--prefix', 'deleted-', '--deleted')).stdout,
      /^deleted-value +1 +\d+ +AVRO +BACKWARD +yes$/m,
    )
    assert.equal(
      failed(await schema('get', 'deleted-value')),
      'runnel schema get: subject "deleted-value" not found (40401)',
    )
    const permanent = ok(await schema('delete', 'deleted-value', '--permanent', '--json'))
    assert.deepEqual(JSON.parse(permanent.stdout), {
      subject: 'deleted-value',
      versions: [1],
      permanent: true,
    })
    assert.equal(
      JSON.parse(ok(await schema('list', '--deleted', '--prefix', 'deleted-', '--json')).stdout).length,
      0,
    )
  })

  test('bad input: one sentence each, exit 1 (or 2 for usage), nothing registered', async () => {
    const cases: [string[], number, string | RegExp][] = [
      [
        ['register', 'bad-value', file('missing.avsc')],
        1,
        `runnel schema register: cannot read schema file "${file('missing.avsc')}": no such file`,
      ],
      [
        ['register', 'bad-value', file('bad-type.avsc')],
        1,
        `runnel schema register: invalid schema in "${file('bad-type.avsc')}": not a valid Avro schema: undefined type name: shop.strin (42201)`,
      ],
      [
        ['check', 'bad-value', file('broken.proto')],
        1,
        /^runnel schema check: invalid schema in ".*broken\.proto": .* \(42201\)$/,
      ],
      [['get', 'no-such-value'], 1, 'runnel schema get: subject "no-such-value" not found (40401)'],
      [['list', '--bogus'], 2, "runnel schema list: Unknown option '--bogus'. See --help."],
      [
        ['get', 'x', '--version', 'first'],
        2,
        'runnel schema get: --version must be a version number from 1 to 2147483647 or "latest", got "first"',
      ],
      [
        ['register', 'bad-value', file('order-v1.avsc'), '--reference', 'shop.Address'],
        2,
        'runnel schema register: --reference takes name=subject:version (version a number or latest), got "shop.Address"',
      ],
    ]
    await Promise.all(
      cases.map(async ([args, code, sentence]) => {
        const line = failed(await schema(...args), code)
        if (typeof sentence === 'string') assert.equal(line, sentence)
        else assert.match(line, sentence)
      }),
    )
    const help = ok(await schema('check', '--help'))
    assert.match(help.stdout, /^ +--version <n\|latest\|all> /m)
    assert.match(help.stdout, /^ +--registry <url> /m)
    assert.equal(
      failed(await schema('get', 'orders-value', '--version', '99')),
      'runnel schema get: version 99 of subject "orders-value" not found (40402)',
    )
    assert.deepEqual(registry.service.listSubjects({ deleted: true }).includes('bad-value'), false)
  })

  test('an unreachable registry: the URL tried, in one sentence; a hung one: after --timeout', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    assert.equal(
      failed(await runnel(['schema', 'list', '--registry', url])),
      `runnel schema list: cannot reach the schema registry at ${url} (connection refused)`,
    )
    const hungUrl = `http://127.0.0.1:${hung.port}`
    const result = await runnel(['schema', 'get', 'orders-value', '--registry', hungUrl, '--timeout', '500'])
    const waited = waitedAfterConnecting(hung)
    assert.equal(
      failed(result),
      `runnel schema get: no answer from the schema registry at ${hungUrl} within 500 ms`,
    )
    // Timed from the connection: the tests here run side by side, so starting takes seconds.
    assert.ok(waited < DEFAULT_TIMEOUT_MS / 2, `gave up ${waited} ms after connecting`)
  })
})
