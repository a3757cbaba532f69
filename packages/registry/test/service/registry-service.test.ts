import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRegistryError, type RegistryErrorName } from '../../src/errors.ts'
import { RegistryService } from '../../src/service/registry-service.ts'
import { createMemoryStore } from '../../src/store/memory-store.ts'
import { avroOrder, equivalentSchemas, orderV1 } from '../support/schemas.ts'

function given() {
  const store = createMemoryStore()
  return { store, service: new RegistryService(store) }
}

async function rejects(
  promise: Promise<unknown> | (() => unknown),
  kind: RegistryErrorName,
  message?: RegExp,
) {
  const run = typeof promise === 'function' ? async () => promise() : () => promise
  await assert.rejects(run, (error: unknown) => {
    assert.ok(isRegistryError(error), `expected a RegistryError, got ${error}`)
    assert.equal(error.kind, kind, error.message)
    if (message) assert.match(error.message, message)
    return true
  })
}

const withCurrency = avroOrder([
  { name: 'id', type: 'string' },
  { name: 'amount', type: 'double' },
  { name: 'currency', type: 'string', default: 'EUR' },
])

describe('RegistryService.register', () => {
  it('gives ids from 1 and versions from 1 per subject', async () => {
    const { service } = given()
    assert.deepEqual(
      [
        (await service.register('orders', { schema: orderV1 })).id,
        (await service.register('orders', { schema: withCurrency })).id,
      ],
      [1, 2],
    )
    assert.deepEqual(service.listVersions('orders'), [1, 2])
  })

  it('answers a repeated registration with the existing version and writes nothing', async () => {
    const { store, service } = given()
    const first = await service.register('orders', { schema: orderV1 })
    const written = store.log.length
    const again = await service.register('orders', { schema: JSON.stringify(JSON.parse(orderV1), null, 2) })
    assert.deepEqual([again.id, again.version], [first.id, first.version])
    assert.equal(store.log.length, written)
  })

  it('reuses an id for the same schema under another subject', async () => {
    const { service } = given()
    await service.register('a', { schema: '"string"' })
    await service.register('b', { schema: '"int"' })
    const c = await service.register('c', { schema: '{"type": "string"}' })
    assert.deepEqual([c.id, c.version], [1, 1])
    assert.deepEqual(service.subjectsForId(1), ['a', 'c'])
  })

  it('refuses an incompatible schema with the reasons and leaves the subject as it was', async () => {
    const { store, service } = given()
    await service.register('orders', { schema: orderV1 })
    const written = store.log.length
    await rejects(
      service.register('orders', {
        schema: avroOrder([
          { name: 'id', type: 'string' },
          { name: 'amount', type: 'double' },
          { name: 'currency', type: 'string' },
        ]),
      }),
      'INCOMPATIBLE_SCHEMA',
      /^Schema being registered is incompatible with an earlier schema for subject "orders", details: \[\{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'currency' at path '\/fields\/2' in the new schema has no default value/,
    )
    assert.equal(store.log.length, written)
    assert.deepEqual(service.listVersions('orders'), [1])
  })

  it('numbers versions after soft-deleted ones, and from 1 again after a permanent delete', async () => {
    const { service } = given()
    await service.register('s', { schema: '"string"' })
    await service.deleteSubject('s')
    assert.equal((await service.register('s', { schema: '"int"' })).version, 2)
    await service.deleteSubject('s')
    await service.deleteSubject('s', { permanent: true })
    assert.equal((await service.register('s', { schema: '"long"' })).version, 1)
  })

  it('gives a new id above every id used before, even deleted ones', async () => {
    const { service } = given()
    await service.register('s', { schema: '"string"' })
    await service.deleteSubject('s')
    await service.deleteSubject('s', { permanent: true })
    assert.equal((await service.register('t', { schema: '"int"' })).id, 2)
  })

  it('refuses writes in READONLY mode and keeps ids and versions in IMPORT mode', async () => {
    const { service } = given()
    await service.setMode('locked', 'READONLY')
    await rejects(
      service.register('locked', { schema: '"string"' }),
      'OPERATION_NOT_PERMITTED',
      /is in read-only mode/,
    )
    await rejects(
      service.register('free', { schema: '"string"', id: 40 }),
      'OPERATION_NOT_PERMITTED',
      /not in import mode/,
    )
    await service.setMode(null, 'IMPORT')
    const imported = await service.register('free', { schema: '"string"', id: 40, version: 7 })
    assert.deepEqual([imported.id, imported.version], [40, 7])
    await rejects(
      service.register('other', { schema: '"int"', id: 40 }),
      'ID_DOES_NOT_MATCH',
      /already used by a different schema/,
    )
    await service.setMode(null, 'READWRITE')
    assert.equal((await service.register('next', { schema: '"boolean"' })).id, 41)
  })

  it('refuses IMPORT mode on a registry that has subjects, unless forced', async () => {
    const { service } = given()
    await service.register('s', { schema: '"string"' })
    await rejects(
      service.setMode(null, 'IMPORT'),
      'OPERATION_NOT_PERMITTED',
      /Cannot import since found existing subjects/,
    )
    assert.equal(await service.setMode(null, 'IMPORT', { force: true }), 'IMPORT')
  })
})

describe('RegistryService compatibility levels', () => {
  const v1 = avroOrder([{ name: 'id', type: 'string' }])
  const v2 = avroOrder([
    { name: 'id', type: 'string' },
    { name: 'note', type: 'string', default: '' },
  ])
  const v3 = avroOrder([
    { name: 'id', type: 'string' },
    { name: 'note', type: 'string' },
  ])

  it('checks only the latest version unless the level is transitive', async () => {
    const { service } = given()
    await service.setConfig('s', 'NONE')
    await service.register('s', { schema: v1 })
    await service.register('s', { schema: v2 })
    // v3 reads v2's data (note is there) but not v1's.
    await service.setConfig('s', 'BACKWARD')
    assert.equal(service.checkCompatibility('s', undefined, { schema: v3 }).compatible, true)
    await service.setConfig('s', 'BACKWARD_TRANSITIVE')
    const result = service.checkCompatibility('s', undefined, { schema: v3 })
    assert.equal(result.compatible, false)
    assert.deepEqual(
      result.incompatibilities.map((entry) => entry.version),
      [1],
    )
    assert.equal(result.messages.at(-1), "{compatibility: 'BACKWARD_TRANSITIVE'}")
    assert.ok(result.messages.includes('{oldSchemaVersion: 1}'))
  })

  it('takes the subject level first, then the global one, then BACKWARD', async () => {
    const { service } = given()
    assert.equal(service.effectiveCompatibility('s'), 'BACKWARD')
    await service.setConfig(null, 'FULL')
    assert.equal(service.effectiveCompatibility('s'), 'FULL')
    await service.setConfig('s', 'NONE')
    assert.equal(service.effectiveCompatibility('s'), 'NONE')
    assert.deepEqual(await service.deleteConfig('s'), { compatibilityLevel: 'NONE' })
    assert.equal(service.effectiveCompatibility('s'), 'FULL')
    await rejects(() => service.getConfig('s'), 'SUBJECT_COMPATIBILITY_NOT_CONFIGURED')
    assert.equal(service.getConfig('s', { defaultToGlobal: true }), 'FULL')
  })

  it('refuses a change of schema type under a level', async () => {
    const { service } = given()
    await service.register('s', { schema: '"string"' })
    await rejects(
      service.register('s', { schema: '{"type":"string"}', schemaType: 'JSON' }),
      'INCOMPATIBLE_SCHEMA',
      /SCHEMA_TYPE_CHANGED.*The new schema is JSON but version 1 is AVRO/,
    )
  })

  it('refuses unknown levels and modes', async () => {
    const { service } = given()
    await rejects(
      service.setConfig(null, 'SIDEWAYS'),
      'INVALID_COMPATIBILITY_LEVEL',
      /Invalid compatibility level "SIDEWAYS"/,
    )
    await rejects(service.setMode(null, 'WRITEONLY'), 'INVALID_MODE')
    assert.equal(await service.setConfig(null, 'full_transitive'), 'FULL_TRANSITIVE')
  })
})

describe('RegistryService deletes', () => {
  it('soft-deletes, refuses to do it twice, and deletes permanently only what was soft-deleted', async () => {
    const { service } = given()
    await service.register('s', { schema: '"string"' })
    await service.register('s', { schema: '["string", "null"]' })
    await rejects(service.deleteSubject('s', { permanent: true }), 'SUBJECT_NOT_SOFT_DELETED')
    assert.deepEqual(await service.deleteSubject('s'), [1, 2])
    await rejects(service.deleteSubject('s'), 'SUBJECT_SOFT_DELETED')
    assert.deepEqual(service.listSubjects(), [])
    assert.deepEqual(service.listSubjects({ deleted: true }), ['s'])
    assert.deepEqual(await service.deleteSubject('s', { permanent: true }), [1, 2])
    await rejects(service.deleteSubject('s'), 'SUBJECT_NOT_FOUND')
  })

  it('deletes single versions with the same rules', async () => {
    const { service } = given()
    await service.register('s', { schema: '"string"' })
    await service.register('s', { schema: '["string", "null"]' })
    await rejects(service.deleteVersion('s', '1', { permanent: true }), 'VERSION_NOT_SOFT_DELETED')
    assert.equal(await service.deleteVersion('s', 'latest'), 2)
    await rejects(service.deleteVersion('s', '2'), 'VERSION_SOFT_DELETED')
    assert.equal(service.getVersion('s', 'latest').version, 1)
    assert.equal(service.getVersion('s', '2', { deleted: true }).deleted, true)
    await rejects(() => service.getVersion('s', '2'), 'VERSION_NOT_FOUND', /^Version 2 not found.$/)
    assert.equal(await service.deleteVersion('s', '2', { permanent: true }), 2)
    await rejects(() => service.getVersion('s', '2', { deleted: true }), 'VERSION_NOT_FOUND')
    await rejects(service.deleteVersion('s', '0'), 'INVALID_VERSION')
  })

  it('refuses to delete a version another schema references', async () => {
    const { service } = given()
    await service.register('address', {
      schema: '{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}',
    })
    await service.register('customer', {
      schema: '{"type":"record","name":"Customer","fields":[{"name":"home","type":"Address"}]}',
      references: [{ name: 'Address', subject: 'address', version: 1 }],
    })
    await rejects(
      service.deleteSubject('address'),
      'REFERENCE_EXISTS',
      /One or more references exist to the schema \{magic=1,keytype=SCHEMA,subject=address,version=1\}: referenced by 'customer' version 1/,
    )
    assert.deepEqual(service.referencedBy('address', '1'), [2])
    await service.deleteSubject('customer')
    assert.deepEqual(await service.deleteSubject('address'), [1])
  })

  it('refuses a reference to a version that does not exist', async () => {
    const { service } = given()
    await rejects(
      service.register('customer', {
        schema: '{"type":"record","name":"Customer","fields":[{"name":"home","type":"Address"}]}',
        references: [{ name: 'Address', subject: 'address', version: 3 }],
      }),
      'INVALID_SCHEMA',
      /reference 'Address' names subject 'address' version 3, which does not exist/,
    )
  })
})

describe('RegistryService lookups', () => {
  it('finds the version holding a schema, whatever its layout', async () => {
    const { service } = given()
    await service.register('orders', { schema: orderV1 })
    const found = service.lookup('orders', { schema: JSON.stringify(JSON.parse(orderV1), null, 4) })
    assert.deepEqual([found.version, found.id], [1, 1])
    await rejects(
      () => service.lookup('orders', { schema: '"int"' }),
      'SCHEMA_NOT_FOUND',
      /^Schema not found$/,
    )
    await rejects(
      () => service.lookup('nope', { schema: '"int"' }),
      'SUBJECT_NOT_FOUND',
      /^Subject 'nope' not found.$/,
    )
  })

  it('lists schemas with prefix, latest-only and paging', async () => {
    const { service } = given()
    await service.register('orders-value', { schema: '"string"' })
    await service.register('orders-value', { schema: '["string","null"]' })
    await service.register('payments-value', { schema: '"int"' })
    assert.deepEqual(
      service.listSchemas().map((entry) => `${entry.subject}/${entry.version}`),
      ['orders-value/1', 'orders-value/2', 'payments-value/1'],
    )
    assert.deepEqual(
      service.listSchemas({ latestOnly: true, subjectPrefix: 'orders' }).map((entry) => entry.version),
      [2],
    )
    assert.deepEqual(
      service.listSchemas({ offset: 1, limit: 1 }).map((entry) => `${entry.subject}/${entry.version}`),
      ['orders-value/2'],
    )
  })
})

describe('RegistryService normalize', () => {
  const formats = Object.entries(equivalentSchemas) as [
    keyof typeof equivalentSchemas,
    (typeof equivalentSchemas)[keyof typeof equivalentSchemas],
  ][]

  it('registers two writings of one schema once when normalizing, as its normalized text; twice when not', async () => {
    const { service } = given()
    for (const [schemaType, { a, b, normalized }] of formats) {
      const first = await service.register(`n-${schemaType}`, { schema: a, schemaType }, { normalize: true })
      const second = await service.register(`n-${schemaType}`, { schema: b, schemaType }, { normalize: true })
      assert.deepEqual([second.id, second.version], [first.id, first.version], schemaType)
      assert.equal(service.getVersion(`n-${schemaType}`, 'latest').schema, normalized)
      const plainA = await service.register(`p-${schemaType}`, { schema: a, schemaType })
      const plainB = await service.register(`p-${schemaType}`, { schema: b, schemaType })
      assert.notEqual(plainB.id, plainA.id, schemaType)
      assert.deepEqual([plainA.version, plainB.version], [1, 2], schemaType)
    }
  })

  it('looks up and checks the normalized form', async () => {
    const { service } = given()
    for (const [schemaType, { a, b }] of formats) {
      const registered = await service.register(schemaType, { schema: a, schemaType }, { normalize: true })
      assert.equal(
        service.lookup(schemaType, { schema: b, schemaType }, { normalize: true }).id,
        registered.id,
      )
      await rejects(() => service.lookup(schemaType, { schema: b, schemaType }), 'SCHEMA_NOT_FOUND')
      const check = service.checkCompatibility(
        schemaType,
        'latest',
        { schema: b, schemaType },
        { normalize: true },
      )
      assert.equal(check.compatible, true)
    }
  })

  it('normalizes when the subject config, else the global one, asks; never in IMPORT mode', async () => {
    const { service } = given()
    const { a, b, normalized } = equivalentSchemas.AVRO
    await service.updateConfig('by-subject', { normalize: true })
    await service.register('by-subject', { schema: b })
    assert.equal(service.getVersion('by-subject', '1').schema, normalized)
    await service.updateConfig(null, { normalize: true })
    await service.updateConfig('opted-out', { normalize: false })
    await service.register('opted-out', { schema: b })
    assert.notEqual(service.getVersion('opted-out', '1').schema, normalized)
    await service.register('global', { schema: b })
    assert.equal(service.getVersion('global', '1').schema, normalized)
    assert.equal(service.lookup('global', { schema: a }).version, 1)
    await service.setMode('imported', 'IMPORT')
    await service.register('imported', { schema: b, id: 100, version: 1 }, { normalize: true })
    assert.notEqual(service.getVersion('imported', '1').schema, normalized)
  })

  it('keeps the references sorted by subject and version, each once', async () => {
    const { service } = given()
    const named = (name: string) => JSON.stringify({ type: 'record', name, namespace: 'shop', fields: [] })
    await service.register('phone', { schema: named('Phone') })
    await service.register('address', { schema: named('Address') })
    const customer = JSON.stringify({
      type: 'record',
      name: 'Customer',
      namespace: 'shop',
      fields: [
        { name: 'home', type: 'shop.Address' },
        { name: 'phone', type: 'shop.Phone' },
      ],
    })
    const phone = { name: 'shop.Phone', subject: 'phone', version: 1 }
    const address = { name: 'shop.Address', subject: 'address', version: 1 }
    await service.register(
      'customer',
      { schema: customer, references: [phone, address, phone] },
      { normalize: true },
    )
    assert.deepEqual(service.getVersion('customer', '1').references, [address, phone])
  })

  it('merges config updates, answers configs with normalize, and deletes them whole', async () => {
    const { service } = given()
    assert.deepEqual(await service.updateConfig(null, { compatibility: 'full' }), { compatibility: 'FULL' })
    assert.deepEqual(await service.updateConfig(null, { normalize: true }), {
      compatibility: 'FULL',
      normalize: true,
    })
    assert.deepEqual(service.config(null), { compatibilityLevel: 'FULL', normalize: true })
    // A subject config with only normalize takes its level from the global one.
    assert.deepEqual(await service.updateConfig('s', { normalize: false }), { normalize: false })
    assert.deepEqual(service.config('s'), { compatibilityLevel: 'FULL', normalize: false })
    assert.equal(service.effectiveNormalize('s'), false)
    assert.deepEqual(service.config('t', { defaultToGlobal: true }), {
      compatibilityLevel: 'FULL',
      normalize: true,
    })
    await rejects(() => service.config('t'), 'SUBJECT_COMPATIBILITY_NOT_CONFIGURED')
    assert.deepEqual(await service.deleteConfig('s'), { compatibilityLevel: 'FULL', normalize: false })
    assert.equal(service.effectiveNormalize('s'), true)
    await rejects(
      service.updateConfig(null, { normalize: 'yes' }),
      'UNPROCESSABLE_ENTITY',
      /'normalize' must be a boolean/,
    )
    await rejects(service.updateConfig(null, {}), 'INVALID_COMPATIBILITY_LEVEL')
    assert.deepEqual(await service.deleteConfig(null), { compatibilityLevel: 'FULL', normalize: true })
    assert.deepEqual(service.config(null), { compatibilityLevel: 'BACKWARD' })
  })
})
