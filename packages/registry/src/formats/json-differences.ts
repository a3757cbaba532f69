// The kinds of JSON Schema change (Confluent's names), which of them a reader survives, and how
// each is told to a person.

import type { CompatibilityRoles } from './format.ts'
import type { JsonDifference } from './json-diff-context.ts'

export const JSON_DIFFERENCE_TYPES = [
  'ID_CHANGED',
  'DESCRIPTION_CHANGED',
  'TITLE_CHANGED',
  'DEFAULT_CHANGED',
  'SCHEMA_ADDED',
  'SCHEMA_REMOVED',
  'TYPE_EXTENDED',
  'TYPE_NARROWED',
  'TYPE_CHANGED',
  'MAX_LENGTH_ADDED',
  'MAX_LENGTH_REMOVED',
  'MAX_LENGTH_INCREASED',
  'MAX_LENGTH_DECREASED',
  'MIN_LENGTH_ADDED',
  'MIN_LENGTH_REMOVED',
  'MIN_LENGTH_INCREASED',
  'MIN_LENGTH_DECREASED',
  'PATTERN_ADDED',
  'PATTERN_REMOVED',
  'PATTERN_CHANGED',
  'MAXIMUM_ADDED',
  'MAXIMUM_REMOVED',
  'MAXIMUM_INCREASED',
  'MAXIMUM_DECREASED',
  'MINIMUM_ADDED',
  'MINIMUM_REMOVED',
  'MINIMUM_INCREASED',
  'MINIMUM_DECREASED',
  'EXCLUSIVE_MAXIMUM_ADDED',
  'EXCLUSIVE_MAXIMUM_REMOVED',
  'EXCLUSIVE_MAXIMUM_INCREASED',
  'EXCLUSIVE_MAXIMUM_DECREASED',
  'EXCLUSIVE_MINIMUM_ADDED',
  'EXCLUSIVE_MINIMUM_REMOVED',
  'EXCLUSIVE_MINIMUM_INCREASED',
  'EXCLUSIVE_MINIMUM_DECREASED',
  'MULTIPLE_OF_ADDED',
  'MULTIPLE_OF_REMOVED',
  'MULTIPLE_OF_EXPANDED',
  'MULTIPLE_OF_REDUCED',
  'MULTIPLE_OF_CHANGED',
  'REQUIRED_ATTRIBUTE_ADDED',
  'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED',
  'REQUIRED_ATTRIBUTE_REMOVED',
  'MAX_PROPERTIES_ADDED',
  'MAX_PROPERTIES_REMOVED',
  'MAX_PROPERTIES_INCREASED',
  'MAX_PROPERTIES_DECREASED',
  'MIN_PROPERTIES_ADDED',
  'MIN_PROPERTIES_REMOVED',
  'MIN_PROPERTIES_INCREASED',
  'MIN_PROPERTIES_DECREASED',
  'ADDITIONAL_PROPERTIES_ADDED',
  'ADDITIONAL_PROPERTIES_REMOVED',
  'ADDITIONAL_PROPERTIES_EXTENDED',
  'ADDITIONAL_PROPERTIES_NARROWED',
  'DEPENDENCY_ARRAY_ADDED',
  'DEPENDENCY_ARRAY_REMOVED',
  'DEPENDENCY_ARRAY_EXTENDED',
  'DEPENDENCY_ARRAY_NARROWED',
  'DEPENDENCY_ARRAY_CHANGED',
  'DEPENDENCY_SCHEMA_ADDED',
  'DEPENDENCY_SCHEMA_REMOVED',
  'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'MAX_ITEMS_ADDED',
  'MAX_ITEMS_REMOVED',
  'MAX_ITEMS_INCREASED',
  'MAX_ITEMS_DECREASED',
  'MIN_ITEMS_ADDED',
  'MIN_ITEMS_REMOVED',
  'MIN_ITEMS_INCREASED',
  'MIN_ITEMS_DECREASED',
  'UNIQUE_ITEMS_ADDED',
  'UNIQUE_ITEMS_REMOVED',
  'ADDITIONAL_ITEMS_ADDED',
  'ADDITIONAL_ITEMS_REMOVED',
  'ADDITIONAL_ITEMS_EXTENDED',
  'ADDITIONAL_ITEMS_NARROWED',
  'ITEM_ADDED_TO_OPEN_CONTENT_MODEL',
  'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_TO_CLOSED_CONTENT_MODEL',
  'ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ENUM_ARRAY_EXTENDED',
  'ENUM_ARRAY_NARROWED',
  'ENUM_ARRAY_CHANGED',
  'COMBINED_TYPE_EXTENDED',
  'COMBINED_TYPE_CHANGED',
  'PRODUCT_TYPE_EXTENDED',
  'PRODUCT_TYPE_NARROWED',
  'SUM_TYPE_EXTENDED',
  'SUM_TYPE_NARROWED',
  'COMBINED_TYPE_SUBSCHEMAS_CHANGED',
  'NOT_TYPE_EXTENDED',
  'NOT_TYPE_NARROWED',
] as const

export type JsonDifferenceType = (typeof JSON_DIFFERENCE_TYPES)[number]

/** Changes after which every value the writer's schema accepted is still accepted by the reader's. */
export const COMPATIBLE_JSON_CHANGES: ReadonlySet<JsonDifferenceType> = new Set<JsonDifferenceType>([
  'ID_CHANGED',
  'DESCRIPTION_CHANGED',
  'TITLE_CHANGED',
  'DEFAULT_CHANGED',
  'SCHEMA_REMOVED',
  'TYPE_EXTENDED',
  'MAX_LENGTH_INCREASED',
  'MAX_LENGTH_REMOVED',
  'MIN_LENGTH_DECREASED',
  'MIN_LENGTH_REMOVED',
  'PATTERN_REMOVED',
  'MAXIMUM_INCREASED',
  'MAXIMUM_REMOVED',
  'MINIMUM_DECREASED',
  'MINIMUM_REMOVED',
  'EXCLUSIVE_MAXIMUM_INCREASED',
  'EXCLUSIVE_MAXIMUM_REMOVED',
  'EXCLUSIVE_MINIMUM_DECREASED',
  'EXCLUSIVE_MINIMUM_REMOVED',
  'MULTIPLE_OF_REDUCED',
  'MULTIPLE_OF_REMOVED',
  'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED',
  'REQUIRED_ATTRIBUTE_REMOVED',
  'DEPENDENCY_ARRAY_NARROWED',
  'DEPENDENCY_ARRAY_REMOVED',
  'DEPENDENCY_SCHEMA_REMOVED',
  'MAX_PROPERTIES_INCREASED',
  'MAX_PROPERTIES_REMOVED',
  'MIN_PROPERTIES_DECREASED',
  'MIN_PROPERTIES_REMOVED',
  'ADDITIONAL_PROPERTIES_ADDED',
  'ADDITIONAL_PROPERTIES_EXTENDED',
  'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'MAX_ITEMS_INCREASED',
  'MAX_ITEMS_REMOVED',
  'MIN_ITEMS_DECREASED',
  'MIN_ITEMS_REMOVED',
  'UNIQUE_ITEMS_REMOVED',
  'ADDITIONAL_ITEMS_ADDED',
  'ADDITIONAL_ITEMS_EXTENDED',
  'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_TO_CLOSED_CONTENT_MODEL',
  'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ENUM_ARRAY_EXTENDED',
  'COMBINED_TYPE_EXTENDED',
  'PRODUCT_TYPE_NARROWED',
  'SUM_TYPE_EXTENDED',
  'NOT_TYPE_NARROWED',
])

/** The property a path ends in (`#/properties/address/properties/zip` -> `address.zip`), if any. */
export function propertyOf(path: string): string | undefined {
  const names: string[] = []
  const segments = path.replace(/^#\/?/, '').split('/')
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i] === 'properties' || segments[i] === 'required') names.push(segments[i + 1])
  }
  return names.length === 0 ? undefined : names.join('.')
}

function subject(path: string): string {
  const property = propertyOf(path)
  return property === undefined ? `the value at path '${path}'` : `property '${property}' (path '${path}')`
}

export function describeJsonDifference(difference: JsonDifference, roles: CompatibilityRoles): string {
  const { type, path, detail } = difference
  const reader = `the ${roles.reader} schema`
  const writer = `the ${roles.writer} schema`
  const what = subject(path)
  const extra = detail === undefined ? '' : ` (${detail})`
  switch (type) {
    case 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL':
      return (
        `${capitalize(what)} is declared in ${reader} but not in ${writer}, whose content model is open: ` +
        `data written with ${writer} may hold '${propertyOf(path)}' with any value`
      )
    case 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL':
      return `${capitalize(reader)} requires ${what}, which ${writer} does not have, and gives it no default`
    case 'REQUIRED_ATTRIBUTE_ADDED':
      return `${capitalize(what)} is required in ${reader} but optional in ${writer}, and has no default`
    case 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL':
      return `${capitalize(reader)} has a closed content model (additionalProperties false) and no longer declares ${what}, which ${writer} has`
    case 'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL':
      return `${capitalize(reader)} no longer declares ${what}, and its partially open content model does not accept the values ${writer} allowed`
    case 'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL':
      return `${capitalize(what)} is declared in ${reader} with values that ${writer}'s partially open content model did not restrict to`
    case 'ADDITIONAL_PROPERTIES_REMOVED':
      return `${capitalize(reader)} forbids additional properties at path '${path}', which ${writer} allowed`
    case 'ADDITIONAL_PROPERTIES_NARROWED':
      return `${capitalize(reader)} restricts additional properties at path '${path}' to a schema; ${writer} allowed any`
    case 'ADDITIONAL_ITEMS_REMOVED':
      return `${capitalize(reader)} forbids additional items at path '${path}', which ${writer} allowed`
    case 'ADDITIONAL_ITEMS_NARROWED':
      return `${capitalize(reader)} restricts additional items at path '${path}' to a schema; ${writer} allowed any`
    case 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL':
      return `${capitalize(reader)} describes an item at path '${path}' that ${writer} left open to any value`
    case 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL':
      return `${capitalize(reader)} has a closed item list and no longer describes the item at path '${path}'`
    case 'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL':
    case 'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL':
      return `The item at path '${path}' is not covered by the additional items schema of ${reader}`
    case 'TYPE_CHANGED':
      return `The type of ${what} differs between ${reader} and ${writer}${extra}`
    case 'TYPE_NARROWED':
      return `The type of ${what} is narrower in ${reader} than in ${writer}${extra}`
    case 'SCHEMA_ADDED':
      return `${capitalize(reader)} adds a constraint at path '${path}' that ${writer} does not have`
    case 'ENUM_ARRAY_NARROWED':
    case 'ENUM_ARRAY_CHANGED':
      return `The allowed values of ${what} in ${reader} do not include all of those in ${writer}${extra}`
    case 'SUM_TYPE_NARROWED':
      return `${capitalize(reader)} has fewer alternatives (anyOf/oneOf) at path '${path}' than ${writer}`
    case 'PRODUCT_TYPE_EXTENDED':
      return `${capitalize(reader)} has more allOf constraints at path '${path}' than ${writer}`
    case 'COMBINED_TYPE_CHANGED':
      return `The combination keyword at path '${path}' changed in a way ${reader} cannot accept${extra}`
    case 'COMBINED_TYPE_SUBSCHEMAS_CHANGED':
      return `Some alternatives at path '${path}' in ${writer} are accepted by no alternative in ${reader}`
    case 'NOT_TYPE_EXTENDED':
      return `${capitalize(reader)} excludes more values with 'not' at path '${path}' than ${writer}`
    case 'DEPENDENCY_ARRAY_ADDED':
    case 'DEPENDENCY_ARRAY_EXTENDED':
    case 'DEPENDENCY_ARRAY_CHANGED':
    case 'DEPENDENCY_SCHEMA_ADDED':
      return `${capitalize(reader)} adds a dependency at path '${path}' that ${writer} does not have`
    case 'MULTIPLE_OF_CHANGED':
    case 'PATTERN_CHANGED':
      return `The '${lastSegment(path)}' of ${subjectOfKeyword(path)} differs between ${reader} and ${writer}${extra}`
    default:
      break
  }
  if (type.endsWith('_ADDED')) {
    return `The keyword '${lastSegment(path)}' of ${subjectOfKeyword(path)} is in ${reader} but not in ${writer}${extra}`
  }
  if (type.endsWith('_INCREASED') || type === 'MULTIPLE_OF_EXPANDED') {
    return `The '${lastSegment(path)}' of ${subjectOfKeyword(path)} is larger in ${reader} than in ${writer}${extra}`
  }
  if (type.endsWith('_DECREASED')) {
    return `The '${lastSegment(path)}' of ${subjectOfKeyword(path)} is smaller in ${reader} than in ${writer}${extra}`
  }
  return `${type.toLowerCase().replaceAll('_', ' ')} at path '${path}'${extra}`
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function subjectOfKeyword(path: string): string {
  return subject(path.slice(0, path.lastIndexOf('/')) || '#')
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
