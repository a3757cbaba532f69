// What the registry does, independent of HTTP: Confluent's rules for registering, looking up,
// checking and deleting schemas, and for configs and modes. Reads answer from the store's state;
// writes run one at a time (ids are "largest so far + 1") and return once the store has read
// its records back. Only the elected leader calls the write methods.

import { type CompatibilityResult, checkCompatibility, type EarlierVersion } from '../compatibility/check.ts'
import {
  type CompatibilityLevel,
  DEFAULT_COMPATIBILITY,
  DEFAULT_MODE,
  type Mode,
  parseCompatibilityLevel,
  parseMode,
} from '../compatibility/levels.ts'
import { errors, RegistryError } from '../errors.ts'
import { formatFor } from '../formats/formats.ts'
import {
  ALL_SCHEMA_TYPES,
  type SchemaInput,
  type SchemaReference,
  type SchemaType,
  type StoredSchema,
  type SubjectVersion,
} from '../schema-types.ts'
import type { ConfigValue, StoreRecord } from '../store/records.ts'
import type { SchemaStore } from '../store/schema-store.ts'
import { identityOf, normalizedReferences, SchemaIndex } from './schema-index.ts'
import { parseVersionId, type VersionId } from './version-id.ts'

export interface RegisterRequest extends SchemaInput {
  /** Only in IMPORT mode: keep the id the schema had elsewhere. */
  id?: number
  /** Only in IMPORT mode: keep the version the schema had elsewhere. */
  version?: number
}

export interface ListOptions {
  deleted?: boolean
  deletedOnly?: boolean
}

/** Options of the requests that take a schema: register, lookup, compatibility. */
export interface SchemaOptions {
  /**
   * Normalize the schema first (Confluent's `normalize=true`). The subject's config, else the
   * global one, may ask for it too; never in IMPORT mode.
   */
  normalize?: boolean
}

/** A config as GET /config answers it: the level, and `normalize` when it is set. */
export interface RegistryConfig {
  compatibilityLevel: CompatibilityLevel
  normalize?: boolean
}

/** What PUT /config takes and answers (Confluent's ConfigUpdateRequest). */
export interface ConfigUpdate {
  compatibility?: CompatibilityLevel
  normalize?: boolean
}

export interface SchemaListOptions {
  subjectPrefix?: string
  deleted?: boolean
  latestOnly?: boolean
  offset?: number
  limit?: number
}

export class RegistryService {
  readonly #store: SchemaStore
  readonly #index: SchemaIndex
  // Writes are serialized here: each sees the state the previous one left.
  #writes: Promise<unknown> = Promise.resolve()

  constructor(store: SchemaStore) {
    this.#store = store
    this.#index = new SchemaIndex(store.state)
  }

  get #state() {
    return this.#store.state
  }

  // ---- reads ----

  schemaTypes(): SchemaType[] {
    return [...ALL_SCHEMA_TYPES]
  }

  listSubjects(options: ListOptions & { subjectPrefix?: string } = {}): string[] {
    return this.#state
      .subjects()
      .filter((subject) => options.subjectPrefix === undefined || subject.startsWith(options.subjectPrefix))
      .filter((subject) => this.#filterVersions(this.#state.versions(subject), options).length > 0)
  }

  listVersions(subject: string, options: ListOptions = {}): number[] {
    const versions = this.#filterVersions(this.#state.versions(subject), options)
    if (versions.length === 0) throw errors.subjectNotFound(subject)
    return versions.map((entry) => entry.version)
  }

  getVersion(subject: string, rawVersion: string, options: { deleted?: boolean } = {}): SubjectVersion {
    return this.#findVersion(subject, parseVersionId(rawVersion), options.deleted === true)
  }

  /** The largest id given out so far. */
  maxSchemaId(): number {
    return this.#state.maxId
  }

  getSchemaById(id: number): StoredSchema {
    const schema = this.#state.schemaById(id)
    if (schema === undefined) throw errors.schemaNotFound(id)
    return schema
  }

  subjectsForId(id: number, options: { deleted?: boolean } = {}): string[] {
    this.getSchemaById(id)
    const uses = this.#state.usesOf(id).filter((entry) => options.deleted === true || !entry.deleted)
    return [...new Set(uses.map((entry) => entry.subject))]
  }

  versionsForId(id: number, options: { deleted?: boolean } = {}): { subject: string; version: number }[] {
    this.getSchemaById(id)
    return this.#state
      .usesOf(id)
      .filter((entry) => options.deleted === true || !entry.deleted)
      .map((entry) => ({ subject: entry.subject, version: entry.version }))
  }

  referencedBy(subject: string, rawVersion: string): number[] {
    const target = this.#findVersion(subject, parseVersionId(rawVersion), true)
    return [
      ...new Set(this.#state.referencesTo(target.subject, target.version).map((entry) => entry.id)),
    ].sort((a, b) => a - b)
  }

  listSchemas(options: SchemaListOptions = {}): SubjectVersion[] {
    const out: SubjectVersion[] = []
    for (const subject of this.#state.subjects()) {
      if (options.subjectPrefix !== undefined && !subject.startsWith(options.subjectPrefix)) continue
      const versions = this.#filterVersions(this.#state.versions(subject), { deleted: options.deleted })
      out.push(...(options.latestOnly ? versions.slice(-1) : versions))
    }
    const offset = Math.max(0, options.offset ?? 0)
    const limit = options.limit !== undefined && options.limit >= 0 ? options.limit : Number.POSITIVE_INFINITY
    return out.slice(offset, offset + limit)
  }

  /** The version of `subject` holding this very schema. */
  lookup(
    subject: string,
    input: SchemaInput,
    options: { deleted?: boolean } & SchemaOptions = {},
  ): SubjectVersion {
    const includeDeleted = options.deleted === true
    const versions = this.#filterVersions(this.#state.versions(subject), { deleted: includeDeleted })
    if (versions.length === 0) throw errors.subjectNotFound(subject)
    const { identity } = this.#parseInput(input, this.#normalizes(subject, options))
    const found = [...versions].reverse().find((entry) => this.#index.identityById(entry.id) === identity)
    if (found === undefined) throw errors.schemaNotFound()
    return found
  }

  /**
   * Whether `input` may be registered under `subject`: against one version when `rawVersion` is
   * given (Confluent's /versions/{version}), otherwise against the versions the level names.
   */
  checkCompatibility(
    subject: string,
    rawVersion: string | undefined,
    input: SchemaInput,
    options: SchemaOptions = {},
  ): CompatibilityResult {
    const { parsed } = this.#parseInput(input, this.#normalizes(subject, options))
    const level = this.effectiveCompatibility(subject)
    if (rawVersion === undefined) return checkCompatibility(parsed, this.#earlierVersions(subject), level)
    const target = this.#findVersion(subject, parseVersionId(rawVersion), false)
    const earlier = [
      { version: target.version, schema: target.schema, parsed: this.#index.parsedById(target.id) },
    ]
    return checkCompatibility(parsed, earlier, level)
  }

  /**
   * The config of a subject (or the global one for `null`). A subject's level falls back to the
   * global one; with `defaultToGlobal` its `normalize` does too, and a subject without a config of
   * its own answers the global one instead of 40408.
   */
  config(subject: string | null, options: { defaultToGlobal?: boolean } = {}): RegistryConfig {
    const global = this.#state.configValue(null)
    const globalLevel = global?.compatibilityLevel ?? DEFAULT_COMPATIBILITY
    if (subject === null) return configBody(globalLevel, global?.normalize)
    const own = this.#state.configValue(subject)
    if (own === undefined && !options.defaultToGlobal) throw errors.subjectCompatibilityNotConfigured(subject)
    const normalize = options.defaultToGlobal ? (own?.normalize ?? global?.normalize) : own?.normalize
    return configBody(own?.compatibilityLevel ?? globalLevel, normalize)
  }

  getConfig(subject: string | null, options: { defaultToGlobal?: boolean } = {}): CompatibilityLevel {
    return this.config(subject, options).compatibilityLevel
  }

  effectiveCompatibility(subject: string): CompatibilityLevel {
    return this.getConfig(subject, { defaultToGlobal: true })
  }

  /** Whether the subject's config (else the global one) asks for normalized schemas. */
  effectiveNormalize(subject: string): boolean {
    return this.config(subject, { defaultToGlobal: true }).normalize === true
  }

  getMode(subject: string | null, options: { defaultToGlobal?: boolean } = {}): Mode {
    if (subject === null) return this.#state.mode(null) ?? DEFAULT_MODE
    const mode = this.#state.mode(subject)
    if (mode !== undefined) return mode
    if (options.defaultToGlobal) return this.getMode(null)
    throw errors.subjectModeNotConfigured(subject)
  }

  effectiveMode(subject: string): Mode {
    return this.#state.mode(subject) ?? this.getMode(null)
  }

  // ---- writes (leader only) ----

  register(subject: string, request: RegisterRequest, options: SchemaOptions = {}): Promise<SubjectVersion> {
    return this.#exclusive(() => this.#register(subject, request, options))
  }

  deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    return this.#exclusive(() => this.#deleteSubject(subject, options.permanent === true))
  }

  deleteVersion(subject: string, rawVersion: string, options: { permanent?: boolean } = {}): Promise<number> {
    return this.#exclusive(() =>
      this.#deleteVersion(subject, parseVersionId(rawVersion), options.permanent === true),
    )
  }

  /**
   * Changes what `update` names of a config, keeping the rest (Confluent merges the same way), and
   * answers the config as it now is.
   */
  updateConfig(
    subject: string | null,
    update: { compatibility?: unknown; normalize?: unknown },
  ): Promise<ConfigUpdate> {
    const given = (value: unknown) => value !== undefined && value !== null
    const level = given(update.compatibility) ? parseCompatibilityLevel(update.compatibility) : undefined
    // An unknown level is refused, and so is a change that names nothing (42203 either way).
    if (level === undefined && (given(update.compatibility) || !given(update.normalize)))
      return Promise.reject(errors.invalidCompatibilityLevel(update.compatibility))
    const normalize = update.normalize ?? undefined
    if (normalize !== undefined && typeof normalize !== 'boolean') {
      return Promise.reject(
        new RegistryError(
          'UNPROCESSABLE_ENTITY',
          `Field 'normalize' must be a boolean, got ${JSON.stringify(normalize)}`,
        ),
      )
    }
    return this.#exclusive(async () => {
      const value: ConfigValue = { ...this.#state.configValue(subject) }
      if (level !== undefined) value.compatibilityLevel = level
      if (normalize !== undefined) value.normalize = normalize
      await this.#store.append([{ key: { keytype: 'CONFIG', subject }, value }])
      return configUpdate(value)
    })
  }

  /** Sets the compatibility level alone; answers it. */
  async setConfig(subject: string | null, value: unknown): Promise<CompatibilityLevel> {
    const updated = await this.updateConfig(subject, { compatibility: value })
    return updated.compatibility as CompatibilityLevel
  }

  /** Removes a subject's config (or resets the global one) and returns the config it had. */
  deleteConfig(subject: string | null): Promise<RegistryConfig> {
    return this.#exclusive(async () => {
      const previous = this.config(subject)
      await this.#store.append([{ key: { keytype: 'CONFIG', subject }, value: null }])
      return previous
    })
  }

  setMode(subject: string | null, value: unknown, options: { force?: boolean } = {}): Promise<Mode> {
    const mode = parseMode(value)
    if (mode === undefined) return Promise.reject(errors.invalidMode(value))
    return this.#exclusive(async () => {
      // IMPORT keeps the ids it is given, which is only safe where none were given out yet.
      const existing =
        subject === null ? this.listSubjects() : this.listSubjects().filter((name) => name === subject)
      if (mode === 'IMPORT' && existing.length > 0 && options.force !== true) {
        throw new RegistryError(
          'OPERATION_NOT_PERMITTED',
          `Cannot import since found existing subjects${subject === null ? '' : ` ('${subject}')`}; ` +
            'set force=true to switch to IMPORT mode anyway',
        )
      }
      await this.#store.append([{ key: { keytype: 'MODE', subject }, value: { mode } }])
      return mode
    })
  }

  deleteMode(subject: string): Promise<Mode> {
    return this.#exclusive(async () => {
      const previous = this.getMode(subject)
      await this.#store.append([{ key: { keytype: 'MODE', subject }, value: null }])
      return previous
    })
  }

  // ---- internals ----

  #exclusive<T>(write: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(write, write)
    this.#writes = run.catch(() => undefined)
    return run
  }

  #filterVersions(versions: SubjectVersion[], options: ListOptions): SubjectVersion[] {
    if (options.deletedOnly) return versions.filter((entry) => entry.deleted)
    if (options.deleted) return versions
    return versions.filter((entry) => !entry.deleted)
  }

  #findVersion(subject: string, version: VersionId, includeDeleted: boolean): SubjectVersion {
    const versions = this.#filterVersions(this.#state.versions(subject), { deleted: includeDeleted })
    if (versions.length === 0) throw errors.subjectNotFound(subject)
    const found =
      version === 'latest'
        ? versions[versions.length - 1]
        : versions.find((entry) => entry.version === version)
    if (found === undefined) throw errors.versionNotFound(version)
    return found
  }

  /**
   * Parses what a client sent. Normalized, the schema is parsed again from its normalized text,
   * with its references sorted and without duplicates, as Confluent does: `schema` is the text to
   * store and `identity` what equal schemas share.
   */
  #parseInput(input: SchemaInput, normalize: boolean) {
    const schemaType = input.schemaType ?? 'AVRO'
    let references = input.references ?? []
    let parsed = this.#index.parse(schemaType, input.schema, references)
    let schema = parsed.canonical
    if (normalize) {
      schema = formatFor(schemaType).normalize(parsed)
      references = normalizedReferences(references)
      parsed = this.#index.parse(schemaType, schema, references)
    }
    return { schemaType, references, parsed, schema, identity: identityOf(schemaType, parsed, references) }
  }

  /** Asked for, or configured; IMPORT mode keeps schemas exactly as they come (Confluent). */
  #normalizes(subject: string, options: SchemaOptions): boolean {
    if (this.effectiveMode(subject) === 'IMPORT') return false
    return options.normalize === true || this.effectiveNormalize(subject)
  }

  #earlierVersions(subject: string): EarlierVersion[] {
    return this.#filterVersions(this.#state.versions(subject), {}).map((entry) => ({
      version: entry.version,
      schema: entry.schema,
      parsed: this.#index.parsedById(entry.id),
    }))
  }

  #assertWritable(subject: string): Mode {
    const mode = this.effectiveMode(subject)
    if (mode === 'READONLY') {
      throw new RegistryError('OPERATION_NOT_PERMITTED', `Subject '${subject}' is in read-only mode`)
    }
    return mode
  }

  async #register(
    subject: string,
    request: RegisterRequest,
    options: SchemaOptions,
  ): Promise<SubjectVersion> {
    const mode = this.#assertWritable(subject)
    const importing = mode === 'IMPORT'
    if (!importing && (request.id !== undefined || request.version !== undefined)) {
      throw new RegistryError(
        'OPERATION_NOT_PERMITTED',
        `Subject '${subject}' is not in import mode: a schema's id and version can only be given in IMPORT mode`,
      )
    }
    const { schemaType, references, parsed, schema, identity } = this.#parseInput(
      request,
      this.#normalizes(subject, options),
    )
    const versions = this.#state.versions(subject)
    const live = versions.filter((entry) => !entry.deleted)

    // Registering what the subject already holds is answered with what it holds.
    const same = [...live].reverse().find((entry) => this.#index.identityById(entry.id) === identity)
    if (same !== undefined && (request.id === undefined || request.id === same.id)) return same

    if (!importing) {
      const level = this.effectiveCompatibility(subject)
      const result = checkCompatibility(parsed, this.#earlierVersions(subject), level)
      if (!result.compatible) {
        throw new RegistryError(
          'INCOMPATIBLE_SCHEMA',
          `Schema being registered is incompatible with an earlier schema for subject "${subject}", ` +
            `details: [${result.messages.join(', ')}]`,
        )
      }
    }

    let id: number
    if (request.id !== undefined) {
      if (!Number.isInteger(request.id) || request.id < 1) {
        throw new RegistryError('ID_DOES_NOT_MATCH', `Schema id ${request.id} is not a positive integer`)
      }
      const holder = this.#state.schemaById(request.id)
      if (holder !== undefined && this.#index.identityById(request.id) !== identity) {
        throw new RegistryError(
          'ID_DOES_NOT_MATCH',
          `Schema id ${request.id} is already used by a different schema`,
        )
      }
      id = request.id
    } else id = this.#index.idFor(identity) ?? this.#state.maxId + 1

    let version: number
    if (request.version !== undefined) {
      if (!Number.isInteger(request.version) || request.version < 1)
        throw errors.invalidVersion(String(request.version))
      if (this.#state.version(subject, request.version) !== undefined) {
        throw new RegistryError(
          'OPERATION_NOT_PERMITTED',
          `Subject '${subject}' already has a version ${request.version}`,
        )
      }
      version = request.version
    } else version = (versions.at(-1)?.version ?? 0) + 1

    const entry: SubjectVersion = {
      subject,
      version,
      id,
      schemaType,
      schema,
      references: references.map((reference: SchemaReference) => ({ ...reference })),
      deleted: false,
    }
    await this.#store.append([{ key: { keytype: 'SCHEMA', subject, version }, value: { ...entry } }])
    return this.#state.version(subject, version) ?? entry
  }

  #assertNotReferenced(targets: readonly SubjectVersion[]): void {
    for (const target of targets) {
      const referring = this.#state.referencesTo(target.subject, target.version)
      if (referring.length > 0) {
        const by = referring.map((entry) => `'${entry.subject}' version ${entry.version}`).join(', ')
        throw new RegistryError(
          'REFERENCE_EXISTS',
          `One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=${target.subject},` +
            `version=${target.version}}: referenced by ${by}`,
        )
      }
    }
  }

  async #deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    const versions = this.#state.versions(subject)
    if (versions.length === 0) throw errors.subjectNotFound(subject)
    this.#assertWritable(subject)
    const live = versions.filter((entry) => !entry.deleted)
    if (permanent) {
      if (live.length > 0) throw errors.subjectNotSoftDeleted(subject)
      this.#assertNotReferenced(versions)
      const records: StoreRecord[] = versions.map((entry) => ({
        key: { keytype: 'SCHEMA', subject, version: entry.version },
        value: null,
      }))
      records.push({ key: { keytype: 'DELETE_SUBJECT', subject }, value: null })
      if (this.#state.configValue(subject) !== undefined)
        records.push({ key: { keytype: 'CONFIG', subject }, value: null })
      if (this.#state.mode(subject) !== undefined)
        records.push({ key: { keytype: 'MODE', subject }, value: null })
      await this.#store.append(records)
      return versions.map((entry) => entry.version)
    }
    if (live.length === 0) throw errors.subjectSoftDeleted(subject)
    this.#assertNotReferenced(live)
    // The per-version records say it plainly; DELETE_SUBJECT is the marker Confluent writes.
    const records: StoreRecord[] = live.map((entry) => ({
      key: { keytype: 'SCHEMA', subject, version: entry.version },
      value: { ...entry, deleted: true },
    }))
    records.push({
      key: { keytype: 'DELETE_SUBJECT', subject },
      value: { subject, version: live[live.length - 1].version },
    })
    await this.#store.append(records)
    return live.map((entry) => entry.version)
  }

  async #deleteVersion(subject: string, version: VersionId, permanent: boolean): Promise<number> {
    const versions = this.#state.versions(subject)
    const live = versions.filter((entry) => !entry.deleted)
    if ((permanent ? versions : live).length === 0) throw errors.subjectNotFound(subject)
    // "latest" is the latest live version for a soft delete, the latest of all for a hard one.
    const target =
      version === 'latest'
        ? (permanent ? versions : live).at(-1)
        : versions.find((entry) => entry.version === version)
    if (target === undefined) throw errors.versionNotFound(version)
    this.#assertWritable(subject)
    if (permanent && !target.deleted) throw errors.versionNotSoftDeleted(subject, target.version)
    if (!permanent && target.deleted) throw errors.versionSoftDeleted(subject, target.version)
    this.#assertNotReferenced([target])
    const key = { keytype: 'SCHEMA' as const, subject, version: target.version }
    await this.#store.append([{ key, value: permanent ? null : { ...target, deleted: true } }])
    return target.version
  }
}

function configBody(compatibilityLevel: CompatibilityLevel, normalize: boolean | undefined): RegistryConfig {
  return normalize === undefined ? { compatibilityLevel } : { compatibilityLevel, normalize }
}

function configUpdate(value: ConfigValue): ConfigUpdate {
  const answer: ConfigUpdate = {}
  if (value.compatibilityLevel !== undefined) answer.compatibility = value.compatibilityLevel
  if (value.normalize !== undefined) answer.normalize = value.normalize
  return answer
}
