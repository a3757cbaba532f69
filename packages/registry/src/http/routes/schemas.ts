// /schemas: schemas by global id, and the list of all schemas.

import { flag, integer, schemaId, text } from '../body.ts'
import { schemaBody, versionBody } from '../representation.ts'
import { params, type RouteContext, type Routes } from './route.ts'

export function schemaRoutes({ service }: RouteContext): Routes {
  return {
    '/schemas': {
      GET: async (request) =>
        service
          .listSchemas({
            subjectPrefix: text(request.query, 'subjectPrefix'),
            deleted: flag(request.query, 'deleted'),
            latestOnly: flag(request.query, 'latestOnly'),
            offset: integer(request.query, 'offset'),
            limit: integer(request.query, 'limit'),
          })
          .map(versionBody),
    },
    '/schemas/types': {
      GET: async () => service.schemaTypes(),
    },
    '/schemas/ids/:id': {
      GET: async (request) => {
        const id = schemaId(params(request).id)
        const body: Record<string, unknown> = schemaBody(service.getSchemaById(id))
        if (flag(request.query, 'fetchMaxId')) body.maxId = service.maxSchemaId()
        return body
      },
    },
    '/schemas/ids/:id/schema': {
      GET: async (request, reply) => reply.send(service.getSchemaById(schemaId(params(request).id)).schema),
    },
    '/schemas/ids/:id/subjects': {
      GET: async (request) =>
        service.subjectsForId(schemaId(params(request).id), { deleted: flag(request.query, 'deleted') }),
    },
    '/schemas/ids/:id/versions': {
      GET: async (request) =>
        service.versionsForId(schemaId(params(request).id), { deleted: flag(request.query, 'deleted') }),
    },
  }
}
