import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testApp } from '../support/app.ts'
import { orderV1 } from '../support/schemas.ts'

// Bad input gets Confluent's status and error code with a readable message, and changes nothing.
describe('REST API bad input', () => {
  async function seeded() {
    const context = testApp()
    await context.call('POST', '/subjects/orders/versions', { schema: orderV1 })
    await context.call('POST', '/subjects/gone/versions', { schema: '"string"' })
    await context.call('DELETE', '/subjects/gone')
    return context
  }

  async function assertUnchanged(context: Awaited<ReturnType<typeof seeded>>, run: () => Promise<void>) {
    const before = [context.store.log.length, (await context.call('GET', '/subjects?deleted=true')).text]
    await run()
    const after = [context.store.log.length, (await context.call('GET', '/subjects?deleted=true')).text]
    assert.deepEqual(after, before)
    assert.deepEqual((await context.call('GET', '/subjects/orders/versions')).body, [1])
  }

  const cases: [string, string, string, unknown, number, number, RegExp][] = [
    [
      'malformed JSON',
      'POST',
      '/subjects/orders/versions',
      '{"schema": ',
      400,
      400,
      /^Malformed JSON body: /,
    ],
    [
      'a body that is not an object',
      'POST',
      '/subjects/orders/versions',
      '["x"]',
      422,
      422,
      /must be a JSON object, got \["x"\]/,
    ],
    [
      'a missing schema',
      'POST',
      '/subjects/orders/versions',
      {},
      422,
      42201,
      /^Invalid schema: Empty schema$/,
    ],
    [
      'a schema that is not a string',
      'POST',
      '/subjects/orders/versions',
      { schema: { type: 'string' } },
      422,
      422,
      /Field 'schema' must be a string/,
    ],
    [
      'an unknown schema type',
      'POST',
      '/subjects/orders/versions',
      { schema: '{}', schemaType: 'XML' },
      422,
      42201,
      /unknown schema type "XML"/,
    ],
    [
      'references of the wrong shape',
      'POST',
      '/subjects/orders/versions',
      { schema: '"string"', references: [{ name: 'x' }] },
      422,
      422,
      /Reference 0 must be an object with a string 'name'/,
    ],
    [
      'an invalid Avro schema',
      'POST',
      '/subjects/orders/versions',
      { schema: '{"type":"recod","name":"X"}' },
      422,
      42201,
      /not a valid Avro schema: unknown type: "recod"/,
    ],
    [
      'an invalid JSON schema',
      'POST',
      '/subjects/j/versions',
      { schema: '{"type":"object","properties":{"a":{"type":"strng"}}}', schemaType: 'JSON' },
      422,
      42201,
      /not a valid JSON schema: schema is invalid/,
    ],
    [
      'an invalid Protobuf schema',
      'POST',
      '/subjects/p/versions',
      { schema: 'syntax = "proto3";\nmessage A { int32 a = ; }', schemaType: 'PROTOBUF' },
      422,
      42201,
      /not valid Protobuf: illegal id ';' \(line 2\)/,
    ],
    [
      'an unknown subject',
      'GET',
      '/subjects/nope/versions',
      undefined,
      404,
      40401,
      /^Subject 'nope' not found.$/,
    ],
    [
      'an unknown version',
      'GET',
      '/subjects/orders/versions/7',
      undefined,
      404,
      40402,
      /^Version 7 not found.$/,
    ],
    [
      'an invalid version',
      'GET',
      '/subjects/orders/versions/first',
      undefined,
      422,
      42202,
      /^The specified version 'first' is not a valid version id/,
    ],
    [
      'a version out of range',
      'GET',
      '/subjects/orders/versions/2147483648',
      undefined,
      422,
      42202,
      /'2147483648'/,
    ],
    [
      'a deleted subject',
      'GET',
      '/subjects/gone/versions/latest',
      undefined,
      404,
      40401,
      /^Subject 'gone' not found.$/,
    ],
    [
      'deleting a deleted subject',
      'DELETE',
      '/subjects/gone',
      undefined,
      404,
      40404,
      /^Subject 'gone' was soft deleted/,
    ],
    [
      'deleting a version that does not exist',
      'DELETE',
      '/subjects/orders/versions/3',
      undefined,
      404,
      40402,
      /^Version 3 not found.$/,
    ],
    ['an unknown schema id', 'GET', '/schemas/ids/99', undefined, 404, 40403, /^Schema 99 not found$/],
    [
      'a schema id that is not a number',
      'GET',
      '/schemas/ids/abc',
      undefined,
      404,
      40403,
      /^Schema not found$/,
    ],
    [
      'an invalid level',
      'PUT',
      '/config',
      { compatibility: 'MOSTLY' },
      422,
      42203,
      /^Invalid compatibility level "MOSTLY"/,
    ],
    ['an invalid mode', 'PUT', '/mode', { mode: 'READ' }, 422, 42204, /^Invalid mode "READ"/],
    ['an unknown path', 'GET', '/subjectz', undefined, 404, 404, /^HTTP 404 Not Found$/],
    ['a method the path does not have', 'PUT', '/subjects', {}, 405, 405, /^HTTP 405 Method Not Allowed$/],
  ]

  for (const [what, method, url, body, status, errorCode, message] of cases) {
    it(`answers ${what} with ${status} / ${errorCode}`, async () => {
      const context = await seeded()
      await assertUnchanged(context, async () => {
        const answer = await context.call(method as 'GET', url, body)
        assert.equal(answer.status, status, answer.text)
        const error = answer.body as { error_code: number; message: string }
        assert.equal(error.error_code, errorCode)
        assert.match(error.message, message)
      })
    })
  }

  it('refuses a body larger than the limit with 413', async () => {
    const context = await seeded()
    const huge = JSON.stringify({ schema: `"${'x'.repeat(17 * 1024 * 1024)}"` })
    const answer = await context.call('POST', '/subjects/orders/versions', huge)
    assert.equal(answer.status, 413)
    assert.equal((answer.body as { error_code: number }).error_code, 413)
  })
})
