// `runnel schema list|get|register|check|delete`: a schema registry through its REST API
// (Runnel's or Confluent's), with `@runnel/registry`'s client. `check` is the command a CI
// pipeline runs: exit 0 when a local schema file could be registered, 1 with every reason when
// the subject's compatibility level would refuse it.
import type { RegistryClient, SchemaInput, SchemaType, SubjectVersion } from '@runnel/registry/client'
import { intFlag, onePositional, parse } from '../args.ts'
import { CliError, CliErrorCode } from '../errors.ts'
import { type CompatibilityReason, parseCompatibilityMessages } from '../schema-reasons.ts'
import {
  answered,
  clientFor,
  explainRegistry,
  mapLimit,
  REGISTRY_HELP,
  type RegistryContext,
  type RegistryTarget,
  readSchema,
  referenceFlag,
  registryOptions,
  registryTargetFrom,
  schemaTypeFor,
  type VersionArg,
  versionFlag,
} from '../schema-registry.ts'
import { keyValues, table } from '../table.ts'
import { UsageError } from '../usage-error.ts'
import { commandWithVerbs, note, print, printJson } from '../verbs.ts'

function help(usage: string, text: string, options: string): string {
  return `Usage: ${usage}\n\n${text}\n\nOptions:\n${options ? `${options}\n` : ''}${REGISTRY_HELP}\n`
}

/** Runs registry calls, turning what they throw into one sentence about `ctx`. */
async function withRegistry<T>(
  target: RegistryTarget,
  ctx: RegistryContext,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw explainRegistry(err, target, ctx)
  }
}

/** Avro and JSON Schema indented for reading; Protobuf is shown as it was written. */
function pretty(schemaType: SchemaType, schema: string): string {
  if (schemaType === 'PROTOBUF') return schema
  try {
    return JSON.stringify(JSON.parse(schema), null, 2)
  } catch {
    return schema
  }
}

function referencesText(references: SubjectVersion['references']): string {
  return references.map((r) => `${r.name}=${r.subject}:${r.version}`).join(', ')
}

const LIST_HELP = help(
  'runnel schema list [options]',
  'Lists the subjects with their latest version, its id and type, and the compatibility level\nthat applies to each (its own, else the global one).',
  [
    '  --prefix <p>      only subjects whose name starts with p',
    '  --deleted         include soft-deleted subjects (DELETED column)',
  ].join('\n'),
)

async function list(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...registryOptions,
    prefix: { type: 'string' },
    deleted: { type: 'boolean' },
  })
  if (values.help) {
    print(LIST_HELP)
    return 0
  }
  const target = registryTargetFrom(values)
  const client = await clientFor(target)
  const deleted = values.deleted === true
  const prefix = values.prefix
  const rows = await withRegistry(target, {}, async () => {
    const [subjects, live] = await Promise.all([
      client.subjects({ deleted, prefix }),
      deleted ? client.subjects({ prefix }) : undefined,
    ])
    const liveSubjects = new Set(live ?? subjects)
    const found = await mapLimit(subjects, 8, async (subject) => {
      try {
        const [latest, compatibility] = await Promise.all([
          client.version(subject, 'latest', { deleted }),
          client.getConfig(subject, { defaultToGlobal: true }),
        ])
        return {
          subject,
          version: latest.version,
          id: latest.id,
          schemaType: latest.schemaType,
          compatibility,
          deleted: !liveSubjects.has(subject),
        }
      } catch (err) {
        // Deleted between the listing and this look: it is no longer there to list.
        if (answered(err, 40401) || answered(err, 40402)) return undefined
        throw err
      }
    })
    return found.filter((row) => row !== undefined)
  })
  if (values.json) printJson(rows)
  else {
    const header = ['subject', 'version', 'id', 'type', 'compatibility']
    print(
      table(
        deleted ? [...header, 'deleted'] : header,
        rows.map((r) => {
          const row = [r.subject, r.version, r.id, r.schemaType, r.compatibility]
          return deleted ? [...row, r.deleted ? 'yes' : 'no'] : row
        }),
      ),
    )
  }
  return 0
}

const GET_HELP = help(
  'runnel schema get <subject> [--version n|latest] | runnel schema get --id n',
  'Prints a schema (Avro and JSON Schema indented) after its subject, version, id, type,\nreferences and compatibility level. --json prints the whole record.',
  [
    '  --version <n|latest>  the version of the subject (default latest)',
    '  --id <n>              the schema with this global id, and the subject versions that hold it',
  ].join('\n'),
)

async function get(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...registryOptions, version: { type: 'string' }, id: { type: 'string' } },
    true,
  )
  if (values.help) {
    print(GET_HELP)
    return 0
  }
  const id = intFlag('id', values.id, 1, 2 ** 31 - 1)
  const version = versionFlag(values.version)
  if (id !== undefined && (positionals.length > 0 || version !== undefined)) {
    throw new UsageError('--id names a schema by itself: give a subject (and --version) or --id, not both')
  }
  const target = registryTargetFrom(values)
  const client = await clientFor(target)

  if (id !== undefined) {
    const found = await withRegistry(target, { id }, async () => {
      const [schema, versions] = await Promise.all([client.schemaById(id), client.versionsForId(id)])
      return { ...schema, versions }
    })
    if (values.json) printJson(found)
    else {
      print(
        keyValues([
          ['id', found.id],
          ['type', found.schemaType],
          ['references', referencesText(found.references)],
          ['subjects', found.versions.map((v) => `${v.subject}:${v.version}`).join(', ')],
        ]),
      )
      print(`\n${pretty(found.schemaType, found.schema)}`)
    }
    return 0
  }

  const subject = onePositional(
    positionals,
    'subject',
    'runnel schema get <subject> [--version n|latest] | runnel schema get --id n',
  )
  const wanted = version ?? 'latest'
  const record = await withRegistry(target, { subject, version: wanted }, async () => {
    const [found, compatibility] = await Promise.all([
      client.version(subject, wanted),
      client.getConfig(subject, { defaultToGlobal: true }),
    ])
    return { ...found, compatibility }
  })
  if (values.json) printJson(record)
  else {
    print(
      keyValues([
        ['subject', record.subject],
        ['version', record.version],
        ['id', record.id],
        ['type', record.schemaType],
        ['references', referencesText(record.references)],
        ['compatibility', record.compatibility],
      ]),
    )
    print(`\n${pretty(record.schemaType, record.schema)}`)
  }
  return 0
}

const SCHEMA_FILE_OPTIONS = [
  "  --type <type>                       AVRO, JSON or PROTOBUF (default: from the file's extension:",
  '                                      .avsc AVRO, .json JSON, .proto PROTOBUF)',
  '  --reference <name=subject:version>  a schema this one uses, registered under subject:version',
  '                                      (version a number or latest); repeatable. name is how',
  '                                      the schema refers to it: an Avro full name, a JSON',
  '                                      Schema $ref, a Protobuf import path',
  '  --normalize                         have the registry normalize the schema first (?normalize=true),',
  '                                      so an equivalent schema written differently matches',
]

/** The file and flags a schema comes from, checked before anything is loaded or sent. */
async function schemaArgs(
  file: string,
  values: { type?: string; reference?: string[]; normalize?: boolean },
) {
  const references = (values.reference ?? []).map(referenceFlag)
  return {
    file,
    references,
    schemaType: await schemaTypeFor(file, values.type),
    normalize: values.normalize === true,
  }
}

/** The options of schemaArgs, for parse(). */
const schemaFileOptions = {
  type: { type: 'string' },
  reference: { type: 'string', multiple: true },
  normalize: { type: 'boolean' },
} as const

/** Reads the file named on the command line, with its references resolved. */
async function readSchemaArgs(
  client: RegistryClient,
  target: RegistryTarget,
  { file, references: wanted, schemaType }: Awaited<ReturnType<typeof schemaArgs>>,
): Promise<SchemaInput> {
  // The file first: a typo in its name is the likelier mistake, and needs no registry.
  const input = await readSchema(file, schemaType, [])
  input.references = await Promise.all(
    wanted.map((r) =>
      withRegistry(target, { subject: r.subject, version: r.version }, async () => ({
        name: r.name,
        subject: r.subject,
        // The registry stores a number: `latest` is the latest version now.
        version: r.version === 'latest' ? (await client.version(r.subject, 'latest')).version : r.version,
      })),
    ),
  )
  return input
}

/** The live version of `subject` holding this schema, if any. */
async function lookup(client: RegistryClient, subject: string, input: SchemaInput, normalize: boolean) {
  try {
    return await client.lookup(subject, input, { normalize })
  } catch (err) {
    if (answered(err, 40401) || answered(err, 40403)) return undefined
    throw err
  }
}

/** The reasons of a verbose check, each with the version it concerns when known. */
async function reasonsFor(
  client: RegistryClient,
  subject: string,
  input: SchemaInput,
  normalize: boolean,
  version?: number | 'latest',
): Promise<{ compatible: boolean; reasons: CompatibilityReason[]; messages: string[]; level?: string }> {
  const answer = await client.checkCompatibility(subject, input, { normalize, version })
  const parsed = parseCompatibilityMessages(answer.messages)
  const reasons = parsed.reasons.map((r) =>
    r.version === undefined && typeof version === 'number' ? { ...r, version } : r,
  )
  if (!answer.compatible && reasons.length === 0) {
    reasons.push({ rule: null, description: 'the registry gave no reason' })
  }
  return { compatible: answer.compatible, reasons, messages: answer.messages, level: parsed.level }
}

function reasonText(r: CompatibilityReason): string {
  return `${r.version === undefined ? '' : `version ${r.version}: `}${r.rule ? `${r.rule}: ` : ''}${r.description}`
}

const REGISTER_HELP = help(
  'runnel schema register <subject> <file> [options]',
  'Registers the schema in <file> under <subject> and prints its id and version. A schema the\nsubject already holds is not registered again: its id and version are printed ("already\nregistered"). A schema the compatibility level refuses fails with every reason.',
  SCHEMA_FILE_OPTIONS.join('\n'),
)

async function register(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...registryOptions, ...schemaFileOptions }, true)
  if (values.help) {
    print(REGISTER_HELP)
    return 0
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      `expected a subject and a schema file, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}. Usage: runnel schema register <subject> <file> [--type AVRO|JSON|PROTOBUF] [--reference name=subject:version ...]`,
    )
  }
  const [subject, file] = positionals
  const source = await schemaArgs(file, values)
  const target = registryTargetFrom(values)
  const client = await clientFor(target)
  const input = await readSchemaArgs(client, target, source)
  const result = await withRegistry(target, { subject, file }, async () => {
    const normalize = source.normalize
    const existing = await lookup(client, subject, input, normalize)
    if (existing) return { subject, version: existing.version, id: existing.id, alreadyRegistered: true }
    let id: number
    try {
      ;({ id } = await client.register(subject, input, { normalize }))
    } catch (err) {
      if (answered(err, 409)) throw await incompatible(client, subject, file, input, normalize, err)
      throw err
    }
    const registered = await client.lookup(subject, input, { normalize })
    return { subject, version: registered.version, id, alreadyRegistered: false }
  })
  if (values.json) printJson({ ...result, schemaType: input.schemaType })
  else {
    print(
      table(
        ['subject', 'version', 'id', 'status'],
        [
          [
            result.subject,
            result.version,
            result.id,
            result.alreadyRegistered ? 'already registered' : 'registered',
          ],
        ],
      ),
    )
  }
  return 0
}

/** A refused registration as one sentence with every reason (asked again, verbosely). */
async function incompatible(
  client: RegistryClient,
  subject: string,
  file: string,
  input: SchemaInput,
  normalize: boolean,
  refused: unknown,
): Promise<unknown> {
  try {
    const check = await reasonsFor(client, subject, input, normalize)
    const level = check.level ?? (await client.getConfig(subject, { defaultToGlobal: true }))
    return new CliError(
      CliErrorCode.RUNNEL_CLI_INCOMPATIBLE_SCHEMA,
      `"${file}" is not compatible with subject "${subject}" (${level}): ${check.reasons.map(reasonText).join('; ')} (409)`,
      { cause: refused },
    )
  } catch {
    // The registry's own 409 sentence then, which names the reasons too.
    return refused
  }
}

const CHECK_HELP = help(
  'runnel schema check <subject> <file> [options]',
  `Checks whether the schema in <file> could be registered under <subject>, without registering
it: exit 0 when it is compatible, 1 with every reason (the rule and the field) when it is not.
A subject that does not exist yet accepts any valid schema.`,
  [
    '  --version <n|latest|all>            check against this version, the latest, or each live',
    "                                      version (default: what the subject's level checks:",
    '                                      the latest, or all of them for *_TRANSITIVE levels)',
    ...SCHEMA_FILE_OPTIONS,
  ].join('\n'),
)

async function check(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...registryOptions, version: { type: 'string' }, ...schemaFileOptions },
    true,
  )
  if (values.help) {
    print(CHECK_HELP)
    return 0
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      `expected a subject and a schema file, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}. Usage: runnel schema check <subject> <file> [--version n|latest|all]`,
    )
  }
  const [subject, file] = positionals
  const version = versionFlag(values.version, 'all')
  const source = await schemaArgs(file, values)
  const target = registryTargetFrom(values)
  const client = await clientFor(target)
  const input = await readSchemaArgs(client, target, source)
  const ctx = { subject, file, version: version === 'all' ? undefined : version }
  const result = await withRegistry(target, ctx, async () => {
    const [versions, level] = await Promise.all([
      client.versions(subject).catch((err: unknown) => {
        if (answered(err, 40401)) return []
        throw err
      }),
      client.getConfig(subject, { defaultToGlobal: true }),
    ])
    if (versions.length === 0) {
      // Nothing to be compatible with; the check still makes the registry parse the schema.
      await client
        .checkCompatibility(subject, input, { normalize: source.normalize })
        .catch((err: unknown) => {
          if (!answered(err, 40401)) throw err
        })
      return { subjectExists: false, level, compatible: true, reasons: [], messages: [] }
    }
    const checks =
      version === 'all'
        ? await mapLimit(versions, 4, (v) => reasonsFor(client, subject, input, source.normalize, v))
        : [await reasonsFor(client, subject, input, source.normalize, version)]
    return {
      subjectExists: true,
      level,
      compatible: checks.every((c) => c.compatible),
      reasons: checks.flatMap((c) => c.reasons),
      messages: checks.flatMap((c) => c.messages),
    }
  })
  if (values.json) {
    printJson({ subject, file, schemaType: input.schemaType, against: version ?? 'level', ...result })
  } else if (!result.subjectExists) {
    print(
      `compatible with ${subject}: the subject does not exist yet, so there is nothing to be incompatible with`,
    )
  } else if (result.compatible) {
    print(`compatible with ${subject} (${result.level})`)
  } else {
    print(`not compatible with ${subject} (${result.level}):`)
    print(
      table(
        ['version', 'rule', 'reason'],
        result.reasons.map((r) => [r.version, r.rule, r.description]),
      ),
    )
  }
  if (!result.compatible) {
    const n = result.reasons.length
    throw new CliError(
      CliErrorCode.RUNNEL_CLI_INCOMPATIBLE_SCHEMA,
      `"${file}" is not compatible with subject "${subject}" (${result.level}): ${n} reason${n === 1 ? '' : 's'}`,
    )
  }
  return 0
}

const DELETE_HELP = help(
  'runnel schema delete <subject> [options]',
  `Deletes a subject, or one version of it. A soft delete (the default) hides it from list and
get but keeps it, so records written with it still decode; --permanent then removes it for
good. As Confluent's registry, a permanent delete needs the soft delete first.`,
  [
    '  --version <n|latest>  delete only this version',
    '  --permanent           delete permanently what was soft-deleted before',
  ].join('\n'),
)

async function remove(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...registryOptions, version: { type: 'string' }, permanent: { type: 'boolean' } },
    true,
  )
  if (values.help) {
    print(DELETE_HELP)
    return 0
  }
  const subject = onePositional(
    positionals,
    'subject',
    'runnel schema delete <subject> [--version n|latest] [--permanent]',
  )
  const version: VersionArg | undefined = versionFlag(values.version)
  const permanent = values.permanent === true
  const target = registryTargetFrom(values)
  const client = await clientFor(target)
  const versions = await withRegistry(target, { subject, version }, async () =>
    version === undefined
      ? client.deleteSubject(subject, { permanent })
      : [await client.deleteVersion(subject, version, { permanent })],
  )
  if (values.json) printJson({ subject, versions, permanent })
  else {
    const status = permanent ? 'deleted permanently' : 'soft-deleted'
    print(
      table(
        ['subject', 'version', 'status'],
        versions.map((v) => [subject, v, status]),
      ),
    )
    if (!permanent) note('Soft-deleted versions are kept and still decode; add --permanent to remove them.')
  }
  return 0
}

export const schemaCommand = commandWithVerbs(
  'schema',
  'list, get, register, check and delete schemas in a schema registry',
  {
    list: { summary: 'list subjects with their latest version and compatibility level', run: list },
    get: { summary: 'print a schema and its metadata', run: get },
    register: { summary: 'register a schema file under a subject', run: register },
    check: { summary: 'check a schema file against a subject (exit 1 when incompatible)', run: check },
    delete: { summary: 'delete a subject or a version (soft, then --permanent)', run: remove },
  },
)
