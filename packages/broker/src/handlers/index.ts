// Every handler file registers itself on import; this list is the broker's API surface.
// Keep it sorted by API key.
import './03-metadata.ts'
import './18-api-versions.ts'
import './19-create-topics.ts'
import './20-delete-topics.ts'
import './21-delete-records.ts'
import './32-describe-configs.ts'
import './33-alter-configs.ts'
import './37-create-partitions.ts'
import './44-incremental-alter-configs.ts'
