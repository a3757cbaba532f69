import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { readSchemaFile, schemaTypeOfFile } from '../../src/client/schema-file.ts'
import { isRegistryError } from '../../src/errors.ts'

describe('readSchemaFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-schema-file-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('takes the type from the extension', async () => {
    assert.deepEqual(['a.avsc', 'b.AVRO', 'c.json', 'd.proto', 'e.txt'].map(schemaTypeOfFile), [
      'AVRO',
      'AVRO',
      'JSON',
      'PROTOBUF',
      undefined,
    ])
    const path = join(dir, 'order.proto')
    writeFileSync(path, 'syntax = "proto3";\nmessage Order {}\n')
    assert.deepEqual(await readSchemaFile(path), {
      schema: 'syntax = "proto3";\nmessage Order {}\n',
      schemaType: 'PROTOBUF',
      references: [],
    })
  })

  it('asks for the type when the extension does not tell it', async () => {
    const path = join(dir, 'order.schema')
    writeFileSync(path, '"string"')
    await assert.rejects(
      readSchemaFile(path),
      (error: unknown) =>
        isRegistryError(error, 'INVALID_SCHEMA') && /give the type explicitly/.test(error.message),
    )
    assert.equal((await readSchemaFile(path, { schemaType: 'AVRO' })).schemaType, 'AVRO')
  })
})
