// /compatibility: would this schema be accepted under the subject's level? With verbose=true the
// answer carries the reasons, as Confluent's does.

import { flag, readSchemaBody } from '../body.ts'
import { params, type RouteContext, type Routes } from './route.ts'

export function compatibilityRoutes({ service }: RouteContext): Routes {
  const check = async (request: Parameters<typeof params>[0]) => {
    const { subject, version } = params(request)
    const body = readSchemaBody(request.body)
    const result = service.checkCompatibility(subject, version, body, {
      normalize: flag(request.query, 'normalize'),
    })
    return flag(request.query, 'verbose')
      ? { is_compatible: result.compatible, messages: result.messages }
      : { is_compatible: result.compatible }
  }
  return {
    '/compatibility/subjects/:subject/versions': { POST: check },
    '/compatibility/subjects/:subject/versions/:version': { POST: check },
  }
}
