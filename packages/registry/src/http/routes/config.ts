// /config and /mode: compatibility levels (and whether schemas are normalized) and modes, global
// and per subject.

import type { FastifyRequest } from 'fastify'
import { flag, requireObject } from '../body.ts'
import { type Handler, type Method, params, type RouteContext, type Routes } from './route.ts'

function subjectOf(request: FastifyRequest): string | null {
  return params(request).subject ?? null
}

export function configRoutes({ service, write }: RouteContext): Routes {
  const config: Partial<Record<Method, Handler>> = {
    GET: async (request) =>
      service.config(subjectOf(request), { defaultToGlobal: flag(request.query, 'defaultToGlobal') }),
    PUT: async (request, reply) => {
      const body = requireObject(request.body)
      // Confluent reads `compatibility`; some clients send the name GET answers with.
      const update = {
        compatibility: body.compatibility ?? body.compatibilityLevel,
        normalize: body.normalize,
      }
      const outcome = await write(request, reply, () => service.updateConfig(subjectOf(request), update))
      return outcome.local ? outcome.value : reply
    },
    DELETE: async (request, reply) => {
      const outcome = await write(request, reply, () => service.deleteConfig(subjectOf(request)))
      return outcome.local ? outcome.value : reply
    },
  }
  const mode: Partial<Record<Method, Handler>> = {
    GET: async (request) => {
      const subject = subjectOf(request)
      return { mode: service.getMode(subject, { defaultToGlobal: flag(request.query, 'defaultToGlobal') }) }
    },
    PUT: async (request, reply) => {
      const body = requireObject(request.body)
      const force = flag(request.query, 'force')
      const outcome = await write(request, reply, () =>
        service.setMode(subjectOf(request), body.mode, { force }),
      )
      return outcome.local ? { mode: outcome.value } : reply
    },
  }
  return {
    '/config': config,
    '/config/:subject': config,
    '/mode': mode,
    '/mode/:subject': {
      ...mode,
      DELETE: async (request, reply) => {
        const outcome = await write(request, reply, () => service.deleteMode(params(request).subject))
        return outcome.local ? { mode: outcome.value } : reply
      },
    },
  }
}
