// /subjects: listing, registering, looking up and deleting subjects and their versions.

import { flag, readSchemaBody, text } from '../body.ts'
import { versionBody } from '../representation.ts'
import { params, type RouteContext, type Routes } from './route.ts'

export function subjectRoutes({ service, write }: RouteContext): Routes {
  return {
    '/subjects': {
      GET: async (request) =>
        service.listSubjects({
          subjectPrefix: text(request.query, 'subjectPrefix'),
          deleted: flag(request.query, 'deleted'),
          deletedOnly: flag(request.query, 'deletedOnly'),
        }),
    },
    '/subjects/:subject': {
      // Lookup: which version of the subject holds this schema.
      POST: async (request) => {
        const body = readSchemaBody(request.body)
        const found = service.lookup(params(request).subject, body, {
          deleted: flag(request.query, 'deleted'),
          normalize: flag(request.query, 'normalize'),
        })
        return versionBody(found)
      },
      DELETE: async (request, reply) => {
        const subject = params(request).subject
        const permanent = flag(request.query, 'permanent')
        const outcome = await write(request, reply, () => service.deleteSubject(subject, { permanent }))
        return outcome.local ? outcome.value : reply
      },
    },
    '/subjects/:subject/versions': {
      GET: async (request) =>
        service.listVersions(params(request).subject, {
          deleted: flag(request.query, 'deleted'),
          deletedOnly: flag(request.query, 'deletedOnly'),
        }),
      POST: async (request, reply) => {
        const subject = params(request).subject
        const body = readSchemaBody(request.body)
        const normalize = flag(request.query, 'normalize')
        const outcome = await write(request, reply, () => service.register(subject, body, { normalize }))
        return outcome.local ? { id: outcome.value.id } : reply
      },
    },
    '/subjects/:subject/versions/:version': {
      GET: async (request) => {
        const { subject, version } = params(request)
        return versionBody(service.getVersion(subject, version, { deleted: flag(request.query, 'deleted') }))
      },
      DELETE: async (request, reply) => {
        const { subject, version } = params(request)
        const permanent = flag(request.query, 'permanent')
        const outcome = await write(request, reply, () =>
          service.deleteVersion(subject, version, { permanent }),
        )
        return outcome.local ? outcome.value : reply
      },
    },
    '/subjects/:subject/versions/:version/schema': {
      GET: async (request, reply) => {
        const { subject, version } = params(request)
        const found = service.getVersion(subject, version, { deleted: flag(request.query, 'deleted') })
        // The schema text itself, unescaped, as Confluent answers it.
        return reply.send(found.schema)
      },
    },
    '/subjects/:subject/versions/:version/referencedby': {
      GET: async (request) => {
        const { subject, version } = params(request)
        return service.referencedBy(subject, version)
      },
    },
  }
}
