// Authorization is not built yet: every client may do everything. These are the bit fields
// Kafka returns for "authorized operations" when a client asks for them.

/** Kafka's "not requested" value for authorized-operation fields. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

// AclOperation codes: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
const bits = (...ops: number[]) => ops.reduce((acc, op) => acc | (1 << op), 0)

export const topicAuthorizedOperations = bits(3, 4, 5, 6, 7, 8, 10, 11)
export const groupAuthorizedOperations = bits(3, 6, 8)
export const clusterAuthorizedOperations = bits(5, 7, 8, 9, 10, 11, 12)
