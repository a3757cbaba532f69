// FindCoordinator (key 10)
//
// Behavior:
// - One node coordinates every group and every transactional id: the answer is always this
//   broker, once `__consumer_offsets` exists (it is created by the first FindCoordinator for a
//   group, as Kafka does). Until then, or if creation fails: COORDINATOR_NOT_AVAILABLE, which
//   clients retry.
// - Key type 0 is a group id, 1 a transactional id (answered with this node too); any other
//   key type is INVALID_REQUEST.
//
// Version notes:
// - v0 has only the key (a group id); v1 adds the key type, throttle time and an error message;
//   v3 is flexible; v4 batches keys (CoordinatorKeys in, Coordinators out): platformatic
//   sends only v4+, kafkajs and librdkafka v0-v2. v5 (TRANSACTION_ABORTABLE) and v6 (share
//   groups) are not advertised.
import {
  ErrorCode,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
} from '@runnel/protocol'
import type { RequestContext } from './registry.ts'
import { registerHandler } from './registry.ts'

const KEY_TYPE_GROUP = 0
const KEY_TYPE_TRANSACTION = 1

async function locate(
  key: string,
  keyType: number,
  ctx: RequestContext<'node' | 'groups'>,
): Promise<FindCoordinatorResponseCoordinator> {
  const none = (errorCode: number, errorMessage: string) => ({
    key,
    nodeId: -1,
    host: '',
    port: -1,
    errorCode,
    errorMessage,
  })
  if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) {
    return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`)
  }
  if (keyType === KEY_TYPE_GROUP) {
    const ready = await ctx.groups.ensureReady()
    if (ready !== ErrorCode.NONE) return none(ready, 'The coordinator is not available.')
  }
  return {
    key,
    nodeId: ctx.node.nodeId,
    host: ctx.node.advertisedHost,
    port: ctx.node.advertisedPort,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
  }
}

export const findCoordinator = registerHandler({
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 4,
  uses: ['node', 'groups'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const keyType = version >= 1 ? (request.keyType ?? KEY_TYPE_GROUP) : KEY_TYPE_GROUP
    if (version >= 4) {
      const coordinators: FindCoordinatorResponseCoordinator[] = []
      for (const key of request.coordinatorKeys ?? []) coordinators.push(await locate(key, keyType, ctx))
      return { throttleTimeMs: 0, coordinators }
    }
    const c = await locate(request.key ?? '', keyType, ctx)
    const response: FindCoordinatorResponse = {
      throttleTimeMs: 0,
      errorCode: c.errorCode,
      errorMessage: c.errorMessage,
      nodeId: c.nodeId,
      host: c.host,
      port: c.port,
    }
    return response
  },
})
