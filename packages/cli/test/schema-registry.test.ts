// The command-line parts every `schema` verb shares: where the registry is, --version,
// --reference and --type. (The verbs themselves are tested through the real CLI in schema.test.ts.)
import assert from 'node:assert/strict'
import { afterEach, test } from 'node:test'
import { referenceFlag, registryTargetFrom, schemaTypeFor, versionFlag } from '../src/schema-registry.ts'

const saved = process.env.SCHEMA_REGISTRY_URL
afterEach(() => {
  if (saved === undefined) delete process.env.SCHEMA_REGISTRY_URL
  else process.env.SCHEMA_REGISTRY_URL = saved
})

test('the registry: --registry, else SCHEMA_REGISTRY_URL, else http://localhost:8081; only http(s) URLs', () => {
  delete process.env.SCHEMA_REGISTRY_URL
  assert.deepEqual(registryTargetFrom({}), { url: 'http://localhost:8081', timeoutMs: 10_000, headers: {} })
  process.env.SCHEMA_REGISTRY_URL = 'https://sr.example.com/prefix/'
  assert.equal(registryTargetFrom({}).url, 'https://sr.example.com/prefix')
  assert.equal(registryTargetFrom({ registry: 'http://127.0.0.1:8085', timeout: '500' }).timeoutMs, 500)
  assert.equal(registryTargetFrom({ registry: 'http://127.0.0.1:8085' }).url, 'http://127.0.0.1:8085')
  assert.throws(() => registryTargetFrom({ registry: 'localhost:8081' }), {
    message: '--registry takes an http:// or https:// URL, got "localhost:8081"',
  })
  // Credentials in the URL become basic auth, and stay out of the URL error sentences print.
  assert.deepEqual(registryTargetFrom({ registry: 'https://svc:p%40ss@sr.example.com' }), {
    url: 'https://sr.example.com',
    timeoutMs: 10_000,
    headers: { authorization: `Basic ${Buffer.from('svc:p@ss').toString('base64')}` },
  })
  assert.throws(() => registryTargetFrom({ registry: 'ftp://svc:secret@sr.example.com' }), {
    message: '--registry takes an http:// or https:// URL, got "ftp://…@sr.example.com"',
  })
  process.env.SCHEMA_REGISTRY_URL = 'nope'
  assert.throws(() => registryTargetFrom({}), {
    code: 'RUNNEL_CLI_USAGE',
    message: /^SCHEMA_REGISTRY_URL takes/,
  })
  assert.throws(() => registryTargetFrom({ registry: 'http://x', timeout: '10' }), {
    message: /^--timeout must/,
  })
})

test('--version: a number from 1 to 2^31-1 or latest, plus the words a verb adds', () => {
  assert.equal(versionFlag(undefined), undefined)
  assert.equal(versionFlag('latest'), 'latest')
  assert.equal(versionFlag('7'), 7)
  assert.equal(versionFlag('all', 'all'), 'all')
  assert.throws(() => versionFlag('0'), {
    message: '--version must be a version number from 1 to 2147483647 or "latest", got "0"',
  })
  assert.throws(() => versionFlag('2147483648'), { code: 'RUNNEL_CLI_USAGE' })
  assert.throws(() => versionFlag('some', 'all'), {
    message: '--version must be a version number from 1 to 2147483647, "latest" or "all", got "some"',
  })
})

test('--reference name=subject:version: the name may hold "=" and ":", the subject ":"', () => {
  assert.deepEqual(referenceFlag('shop.Address=address-value:1'), {
    name: 'shop.Address',
    subject: 'address-value',
    version: 1,
  })
  assert.deepEqual(referenceFlag('https://x.io/a.json?v=2=ctx:addr:latest'), {
    name: 'https://x.io/a.json?v=2',
    subject: 'ctx:addr',
    version: 'latest',
  })
  for (const bad of ['foo', 'a=b', '=s:1', 'a=:1', 'a=s:0', 'a=s:x'])
    assert.throws(() => referenceFlag(bad), { code: 'RUNNEL_CLI_USAGE' }, bad)
})

test('--type, else the extension', async () => {
  assert.equal(await schemaTypeFor('a/b.avsc', undefined), 'AVRO')
  assert.equal(await schemaTypeFor('b.JSON', undefined), 'JSON')
  assert.equal(await schemaTypeFor('b.proto', undefined), 'PROTOBUF')
  assert.equal(await schemaTypeFor('b.txt', 'protobuf'), 'PROTOBUF')
  await assert.rejects(schemaTypeFor('b.txt', undefined), { message: /give --type AVRO, JSON or PROTOBUF$/ })
  await assert.rejects(schemaTypeFor('b.avsc', 'xml'), {
    message: '--type must be AVRO, JSON or PROTOBUF, got "xml"',
  })
})
