// Fresh topics for each run, created through the Admin API of @platformatic/kafka.
import { Admin } from '@platformatic/kafka'

export async function createTopics(
  bootstrap: string,
  names: readonly string[],
  partitions = 1,
): Promise<void> {
  const admin = new Admin({ clientId: 'runnel-bench-admin', bootstrapBrokers: [bootstrap], timeout: 30_000 })
  try {
    await admin.createTopics({ topics: [...names], partitions, replicas: 1 })
  } finally {
    await admin.close()
  }
}
