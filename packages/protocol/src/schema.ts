// The shape of Kafka's message descriptors once the generator has read them. The generated
// tables (`generated/messages.generated.ts`) are data of these types; `codec.ts` turns them
// into encoders and decoders. Nothing here is specific to one API.

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'

/** An inclusive version range; `[0, 32767]` stands for Kafka's "0+". */
export type VersionRange = readonly [number, number]

export interface FieldDescriptor {
  /** camelCase of Kafka's field name. */
  readonly name: string
  /** A primitive, or 'struct' for a nested structure described by `fields`. */
  readonly type: PrimitiveType | 'struct'
  /** True for Kafka's `[]T`. */
  readonly array?: boolean
  readonly versions: VersionRange
  readonly nullable?: VersionRange
  readonly tag?: number
  readonly taggedVersions?: VersionRange
  /** The descriptor's default, already parsed (int64 defaults are strings of digits). */
  readonly default?: string | number | boolean | null
  readonly fields?: readonly FieldDescriptor[]
}

export interface MessageDescriptor {
  readonly name: string
  readonly validVersions: VersionRange
  /** null when no version is flexible. */
  readonly flexibleVersions: VersionRange | null
  readonly fields: readonly FieldDescriptor[]
}

export interface ApiDescriptor {
  readonly apiKey: number
  /** Kafka's API name without the Request/Response suffix, e.g. 'Produce'. */
  readonly name: string
  readonly request: MessageDescriptor
  readonly response: MessageDescriptor
}

export const inRange = (range: VersionRange | null | undefined, version: number): boolean =>
  range != null && version >= range[0] && version <= range[1]
