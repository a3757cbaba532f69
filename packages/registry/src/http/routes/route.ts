// How routes are declared: one entry per path, with a handler per HTTP method. A method the path
// does not have gets 405, as in Confluent's registry (fastify alone would answer 404).

import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RegistryService } from '../../service/registry-service.ts'
import type { WriteOutcome } from '../forward.ts'

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface RouteContext {
  service: RegistryService
  /** Runs a write on this instance when it leads, or forwards the request to the leader. */
  write<T>(request: FastifyRequest, reply: FastifyReply, run: () => Promise<T>): Promise<WriteOutcome<T>>
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

export type Routes = Record<string, Partial<Record<Method, Handler>>>

export function params(request: FastifyRequest): Record<string, string> {
  return request.params as Record<string, string>
}
