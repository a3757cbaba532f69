// Every handler file registers itself on import; this list is the broker's API surface.
// Keep it sorted by API key.
import './03-metadata.ts'
import './18-api-versions.ts'
