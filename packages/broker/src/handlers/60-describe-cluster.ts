// DescribeCluster (key 60)
//
// Behavior:
// - The brokers of the cluster, with this node the only one; the cluster id; the controller id,
//   which a KRaft broker answers with an alive broker's id (clients cannot reach controllers):
//   this node's.
// - EndpointType (v1+) other than 1 (brokers) asks a broker for the controllers' endpoints:
//   UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker answers.
// - ClusterAuthorizedOperations when asked (every operation: there is no authorizer yet).
//
// Version notes:
// - v1 EndpointType; v2 IncludeFencedBrokers and IsFenced per broker (this node is never fenced).
import { ErrorCode } from '@runnel/protocol'
import { AUTHORIZED_OPERATIONS_OMITTED, clusterAuthorizedOperations } from '../cluster/acl.ts'
import { registerHandler } from './registry.ts'

const BROKER_ENDPOINTS = 1

export const describeCluster = registerHandler({
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 2,
  uses: ['node'],
  handle(request, ctx) {
    const { node } = ctx
    const endpointType = request.endpointType ?? BROKER_ENDPOINTS
    const operations = request.includeClusterAuthorizedOperations
      ? clusterAuthorizedOperations
      : AUTHORIZED_OPERATIONS_OMITTED
    if (endpointType !== BROKER_ENDPOINTS) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: `The broker only handles broker endpoints (endpoint type 1), not type ${endpointType}`,
        endpointType,
        clusterId: node.clusterId,
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      }
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType,
      clusterId: node.clusterId,
      controllerId: node.nodeId,
      brokers: [
        {
          brokerId: node.nodeId,
          host: node.advertisedHost,
          port: node.advertisedPort,
          rack: null,
          isFenced: false,
        },
      ],
      clusterAuthorizedOperations: operations,
    }
  },
})
