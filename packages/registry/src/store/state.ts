// The registry's state as the log describes it: subjects and their versions, schemas by id,
// configs and modes. It changes only by `apply`, one record at a time in log order; everything
// else reads it.

import type { CompatibilityLevel, Mode } from '../compatibility/levels.ts'
import type { SchemaReference, StoredSchema, SubjectVersion } from '../schema-types.ts'
import type { ConfigValue, StoreRecord } from './records.ts'

export class RegistryState {
  // Owned by the store that holds this state: only its reader calls `apply`, in log order.
  readonly #subjects = new Map<string, Map<number, SubjectVersion>>()
  readonly #schemas = new Map<number, StoredSchema>()
  /** How many versions (soft-deleted included) use each id; a schema goes when none does. */
  readonly #usage = new Map<number, number>()
  readonly #configs = new Map<string | null, ConfigValue>()
  readonly #modes = new Map<string | null, Mode>()
  #maxId = 0

  apply(record: StoreRecord): void {
    switch (record.key.keytype) {
      case 'SCHEMA': {
        const { subject, version } = record.key
        const value = record.value as SubjectVersion | null
        this.#removeVersion(subject, version)
        if (value === null) return
        let versions = this.#subjects.get(subject)
        if (!versions) this.#subjects.set(subject, (versions = new Map()))
        versions.set(version, { ...value, subject, version })
        if (!this.#schemas.has(value.id)) {
          this.#schemas.set(value.id, {
            id: value.id,
            schemaType: value.schemaType,
            schema: value.schema,
            references: value.references,
          })
        }
        this.#usage.set(value.id, (this.#usage.get(value.id) ?? 0) + 1)
        if (value.id > this.#maxId) this.#maxId = value.id
        return
      }
      case 'CONFIG': {
        const value = record.value as ConfigValue | null
        if (value === null) this.#configs.delete(record.key.subject)
        else this.#configs.set(record.key.subject, { ...value })
        return
      }
      case 'MODE': {
        const value = record.value as { mode: Mode } | null
        if (value === null) this.#modes.delete(record.key.subject)
        else this.#modes.set(record.key.subject, value.mode)
        return
      }
      case 'DELETE_SUBJECT': {
        // Confluent's soft delete of a subject: every version up to the given one is deleted.
        const value = record.value as { version: number } | null
        if (value === null) return
        for (const entry of this.#subjects.get(record.key.subject)?.values() ?? []) {
          if (entry.version <= value.version) entry.deleted = true
        }
        return
      }
      case 'CLEAR_SUBJECT': {
        if (record.value === null) return
        for (const version of [...(this.#subjects.get(record.key.subject)?.keys() ?? [])]) {
          this.#removeVersion(record.key.subject, version)
        }
        return
      }
      default:
        return
    }
  }

  #removeVersion(subject: string, version: number): void {
    const versions = this.#subjects.get(subject)
    const previous = versions?.get(version)
    if (!versions || !previous) return
    versions.delete(version)
    if (versions.size === 0) this.#subjects.delete(subject)
    const left = (this.#usage.get(previous.id) ?? 1) - 1
    if (left > 0) this.#usage.set(previous.id, left)
    else {
      this.#usage.delete(previous.id)
      this.#schemas.delete(previous.id)
    }
  }

  /** Every subject that has at least one version, soft-deleted or not, sorted. */
  subjects(): string[] {
    return [...this.#subjects.keys()].sort()
  }

  /** The versions of a subject, soft-deleted included, in ascending order. */
  versions(subject: string): SubjectVersion[] {
    return [...(this.#subjects.get(subject)?.values() ?? [])].sort((a, b) => a.version - b.version)
  }

  version(subject: string, version: number): SubjectVersion | undefined {
    return this.#subjects.get(subject)?.get(version)
  }

  schemaById(id: number): StoredSchema | undefined {
    return this.#schemas.get(id)
  }

  /** Every id in use, ascending. */
  ids(): number[] {
    return [...this.#schemas.keys()].sort((a, b) => a - b)
  }

  /** The largest id ever seen; new ids are above it. */
  get maxId(): number {
    return this.#maxId
  }

  /** The subject-versions that use an id. */
  usesOf(id: number): SubjectVersion[] {
    const uses: SubjectVersion[] = []
    for (const versions of this.#subjects.values()) {
      for (const entry of versions.values()) if (entry.id === id) uses.push(entry)
    }
    return uses.sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version)
  }

  /** Live (not soft-deleted) versions whose schema references `subject` at `version`. */
  referencesTo(subject: string, version: number): SubjectVersion[] {
    const referring: SubjectVersion[] = []
    for (const versions of this.#subjects.values()) {
      for (const entry of versions.values()) {
        if (entry.deleted) continue
        const references: SchemaReference[] = entry.references
        if (references.some((reference) => reference.subject === subject && reference.version === version)) {
          referring.push(entry)
        }
      }
    }
    return referring
  }

  /** The compatibility level set for a subject, or the global one for `null`. */
  config(subject: string | null): CompatibilityLevel | undefined {
    return this.#configs.get(subject)?.compatibilityLevel
  }

  /** The whole config stored for a subject, or the global one for `null`. */
  configValue(subject: string | null): Readonly<ConfigValue> | undefined {
    return this.#configs.get(subject)
  }

  mode(subject: string | null): Mode | undefined {
    return this.#modes.get(subject)
  }
}
