import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RunningRegistry } from '../../../src/start-registry.ts'
import { type HttpAnswer, http, registryForSuite } from '../../support/registries.ts'
import { equivalentSchemas } from '../../support/schemas.ts'

// Confluent's `normalize`, over HTTP: as a query parameter of register, lookup and compatibility,
// and as a config, global or per subject. Each format's schema is written twice, differently.

type SchemaType = keyof typeof equivalentSchemas

export function normalizeWalkThrough(
  start: () => Promise<RunningRegistry>,
  stop: () => Promise<void> = async () => {},
) {
  const registry = registryForSuite(start, stop)

  const call = (method: string, path: string, body?: unknown) => http(registry().url, method, path, body)
  const ok = (answer: HttpAnswer) => {
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    return answer.body as Record<string, unknown>
  }
  const register = async (subject: string, schemaType: SchemaType, schema: string, query = '') =>
    ok(await call('POST', `/subjects/${subject}/versions${query}`, { schema, schemaType })).id
  const stored = async (subject: string, version: number) =>
    ok(await call('GET', `/subjects/${subject}/versions/${version}`)).schema

  for (const [schemaType, { a, b, normalized }] of Object.entries(equivalentSchemas) as [
    SchemaType,
    (typeof equivalentSchemas)[SchemaType],
  ][]) {
    describe(schemaType, () => {
      it('registers two writings of one schema to one id and version with normalize=true, to two without', async () => {
        const subject = `normalized-${schemaType}`
        const id = await register(subject, schemaType, a, '?normalize=true')
        assert.equal(await register(subject, schemaType, b, '?normalize=true'), id)
        assert.deepEqual(ok(await call('GET', `/subjects/${subject}/versions`)), [1])
        assert.equal(await stored(subject, 1), normalized)

        const plain = `plain-${schemaType}`
        const idA = await register(plain, schemaType, a)
        const idB = await register(plain, schemaType, b)
        assert.notEqual(idB, idA)
        assert.deepEqual(ok(await call('GET', `/subjects/${plain}/versions`)), [1, 2])
      })

      it('looks the schema up with normalize=true, and checks compatibility with it', async () => {
        const subject = `normalized-${schemaType}`
        const found = ok(await call('POST', `/subjects/${subject}?normalize=true`, { schema: b, schemaType }))
        assert.deepEqual([found.subject, found.version, found.schema], [subject, 1, normalized])
        const missing = await call('POST', `/subjects/${subject}`, { schema: b, schemaType })
        assert.deepEqual([missing.status, (missing.body as { error_code: number }).error_code], [404, 40403])
        const check = await call(
          'POST',
          `/compatibility/subjects/${subject}/versions/latest?normalize=true`,
          {
            schema: b,
            schemaType,
          },
        )
        assert.deepEqual(ok(check), { is_compatible: true })
      })
    })
  }

  it('applies a subject config with normalize=true without the query parameter; GET /config shows it', async () => {
    const { a, b, normalized } = equivalentSchemas.PROTOBUF
    assert.deepEqual(ok(await call('PUT', '/config/configured', { normalize: true })), { normalize: true })
    assert.deepEqual(ok(await call('GET', '/config/configured')), {
      compatibilityLevel: 'BACKWARD',
      normalize: true,
    })
    const id = await register('configured', 'PROTOBUF', a)
    assert.equal(await register('configured', 'PROTOBUF', b), id)
    assert.equal(await stored('configured', 1), normalized)
    const found = ok(await call('POST', '/subjects/configured', { schema: b, schemaType: 'PROTOBUF' }))
    assert.equal(found.id, id)
    assert.deepEqual(ok(await call('PUT', '/config/configured', { compatibility: 'FULL' })), {
      compatibility: 'FULL',
      normalize: true,
    })
  })

  it('applies the global config with normalize=true to every subject, until it is deleted', async () => {
    const { a, b, normalized } = equivalentSchemas.JSON
    assert.deepEqual(ok(await call('PUT', '/config', { normalize: true })), { normalize: true })
    assert.deepEqual(ok(await call('GET', '/config')), { compatibilityLevel: 'BACKWARD', normalize: true })
    assert.deepEqual(ok(await call('GET', '/config/elsewhere?defaultToGlobal=true')), {
      compatibilityLevel: 'BACKWARD',
      normalize: true,
    })
    const id = await register('elsewhere', 'JSON', b)
    assert.equal(await stored('elsewhere', 1), normalized)
    assert.equal(await register('elsewhere', 'JSON', a), id)
    assert.deepEqual(ok(await call('DELETE', '/config')), { compatibilityLevel: 'BACKWARD', normalize: true })
    assert.deepEqual(ok(await call('GET', '/config')), { compatibilityLevel: 'BACKWARD' })
    const refused = await call('PUT', '/config', { normalize: 'yes' })
    assert.deepEqual([refused.status, (refused.body as { error_code: number }).error_code], [422, 422])
  })
}
