import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { RegistryClient } from '../../src/client/registry-client.ts'
import { isRegistryError } from '../../src/errors.ts'
import { type RunningRegistry, startRegistry } from '../../src/start-registry.ts'
import { createMemoryStore } from '../../src/store/memory-store.ts'
import { equivalentSchemas, orderV1 } from '../support/schemas.ts'

describe('RegistryClient', { timeout: 30_000 }, () => {
  let registry: RunningRegistry
  let client: RegistryClient

  before(async () => {
    registry = await startRegistry({ store: createMemoryStore(), port: 0 })
    client = new RegistryClient(`${registry.url}/`)
  })
  after(async () => {
    await registry?.close()
  })

  it('registers, lists, reads and looks up', async () => {
    assert.deepEqual(await client.register('orders-value', { schema: orderV1 }), { id: 1 })
    assert.deepEqual(await client.subjects(), ['orders-value'])
    assert.deepEqual(await client.versions('orders-value'), [1])
    const latest = await client.version('orders-value')
    assert.deepEqual(
      { ...latest, schema: JSON.parse(latest.schema) },
      {
        subject: 'orders-value',
        version: 1,
        id: 1,
        schemaType: 'AVRO',
        references: [],
        deleted: false,
        schema: JSON.parse(orderV1),
      },
    )
    assert.equal((await client.lookup('orders-value', { schema: orderV1 })).version, 1)
    assert.deepEqual(await client.schemaById(1), {
      id: 1,
      schema: latest.schema,
      schemaType: 'AVRO',
      references: [],
    })
    assert.deepEqual(await client.subjectsForId(1), ['orders-value'])
    assert.deepEqual(await client.schemaTypes(), ['JSON', 'PROTOBUF', 'AVRO'])
  })

  it('checks compatibility with the reasons', async () => {
    const breaking = JSON.stringify({
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      fields: [{ name: 'id', type: 'int' }],
    })
    const answer = await client.checkCompatibility('orders-value', { schema: breaking })
    assert.equal(answer.compatible, false)
    assert.match(answer.messages[0], /TYPE_MISMATCH.*field 'id'/)
    assert.deepEqual(await client.checkCompatibility('orders-value', { schema: orderV1 }, { version: 1 }), {
      compatible: true,
      messages: [],
    })
  })

  it('manages configs and modes', async () => {
    assert.equal(await client.getConfig(), 'BACKWARD')
    assert.equal(await client.setConfig('FULL', 'orders-value'), 'FULL')
    assert.equal(await client.getConfig('orders-value'), 'FULL')
    assert.equal(await client.deleteConfig('orders-value'), 'FULL')
    assert.equal(await client.getConfig('orders-value', { defaultToGlobal: true }), 'BACKWARD')
    assert.equal(await client.setMode('READONLY', 'frozen'), 'READONLY')
    assert.equal(await client.getMode('frozen'), 'READONLY')
    assert.equal(await client.deleteMode('frozen'), 'READONLY')
    assert.equal(await client.getMode(), 'READWRITE')
  })

  it('asks for normalized schemas, by request or by config', async () => {
    const { a, b, normalized } = equivalentSchemas.AVRO
    const { id } = await client.register('normalized', { schema: a }, { normalize: true })
    assert.deepEqual(await client.register('normalized', { schema: b }, { normalize: true }), { id })
    assert.equal((await client.lookup('normalized', { schema: b }, { normalize: true })).schema, normalized)
    assert.equal(
      (await client.checkCompatibility('normalized', { schema: b }, { normalize: true })).compatible,
      true,
    )
    assert.deepEqual(await client.updateConfig({ normalize: true }, 'configured'), { normalize: true })
    assert.deepEqual(await client.describeConfig('configured'), {
      compatibilityLevel: 'BACKWARD',
      normalize: true,
    })
    assert.deepEqual(await client.register('configured', { schema: b }), { id })
  })

  it('deletes, softly then for good', async () => {
    await client.register('tmp', { schema: '"string"' })
    assert.deepEqual(await client.deleteVersion('tmp', 'latest'), 1)
    assert.deepEqual(await client.versions('tmp', { deleted: true }), [1])
    assert.deepEqual(await client.deleteVersion('tmp', 1, { permanent: true }), 1)
    await client.register('tmp2', { schema: '"int"' })
    assert.deepEqual(await client.deleteSubject('tmp2'), [1])
    assert.deepEqual(await client.deleteSubject('tmp2', { permanent: true }), [1])
  })

  it('turns error answers into RegistryErrors carrying status and error_code', async () => {
    await assert.rejects(client.version('missing'), (error: unknown) => {
      assert.ok(isRegistryError(error, 'SUBJECT_NOT_FOUND'))
      assert.deepEqual(
        [error.status, error.errorCode, error.message],
        [404, 40401, "Subject 'missing' not found."],
      )
      return true
    })
    await assert.rejects(client.register('orders-value', { schema: '{"type":' }), (error: unknown) => {
      assert.ok(isRegistryError(error, 'INVALID_SCHEMA'))
      assert.equal(error.errorCode, 42201)
      return true
    })
  })

  it('reports an unreachable registry and a non-registry answer', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' })
      response.end('<html>bad gateway</html>')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    try {
      await assert.rejects(new RegistryClient(`http://127.0.0.1:${port}`).subjects(), (error: unknown) => {
        assert.ok(isRegistryError(error, 'CLIENT_HTTP_ERROR'))
        assert.deepEqual([error.status, error.message], [502, '<html>bad gateway</html>'])
        return true
      })
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    await assert.rejects(
      new RegistryClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2_000 }).subjects(),
      (error: unknown) => {
        assert.ok(isRegistryError(error, 'CLIENT_UNREACHABLE'))
        assert.equal(error.retriable, true)
        assert.match(
          error.message,
          new RegExp(`^Cannot reach the schema registry at http://127.0.0.1:${port}`),
        )
        return true
      },
    )
  })
})
