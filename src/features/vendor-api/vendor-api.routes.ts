import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { secure } from '../../http/route-security.ts';
import { VendorKeyError, type ApiKeyService, type VendorPrincipal } from '../api-keys/api-keys.service.ts';
import { handleParams } from './vendor-api.schema.ts';
import type { VendorApi } from './vendor-api.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The vendor key behind a `/api/vendor/v1` request, once every check passed. */
    vendorPrincipal?: VendorPrincipal;
  }
}

/** Every vendor route lives under this prefix; a test sweeps them all from Fastify's route table. */
export const VENDOR_API_PREFIX = '/api/vendor/v1';

/**
 * The vendor-facing API, authenticated only by `Authorization: Bearer cv_…` (a session cookie is
 * ignored here): the key check runs before anything else, then the route's scope check.
 */
export function vendorApiRoutes(
  app: FastifyInstance,
  deps: { apiKeys: Pick<ApiKeyService, 'authenticate' | 'requireScope'>; api: VendorApi },
): void {
  const { api, apiKeys } = deps;

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      request.vendorPrincipal = await apiKeys.authenticate(
        request.headers.authorization,
        request.ip,
        request.id,
      );
    } catch (error) {
      if (error instanceof VendorKeyError && error.retryAfterSeconds !== undefined)
        void reply.header('retry-after', String(error.retryAfterSeconds));
      throw error;
    }
  }
  const principal = (request: FastifyRequest): VendorPrincipal => {
    if (!request.vendorPrincipal) throw new UnauthenticatedError();
    return request.vendorPrincipal;
  };
  const handle = (request: FastifyRequest) => parseInput(handleParams, request.params).id;
  const opts = {
    onRequest: authenticate,
    ...secure.by('apiKey', 'vendor API key; scopes and the vendor pseudonym space are checked per route'),
  };

  app.get(`${VENDOR_API_PREFIX}/me`, opts, async (request) => api.me(principal(request)));

  app.get(`${VENDOR_API_PREFIX}/contacts`, opts, async (request) => {
    const p = principal(request);
    await apiKeys.requireScope(p, 'contacts', 'read');
    return api.listContacts(p, request.query);
  });

  app.get(`${VENDOR_API_PREFIX}/contacts/:id`, opts, async (request) => {
    const p = principal(request);
    await apiKeys.requireScope(p, 'contacts', 'read');
    return api.getContact(p, handle(request));
  });

  app.post(`${VENDOR_API_PREFIX}/contacts/:id/tags`, opts, async (request) => {
    const p = principal(request);
    await apiKeys.requireScope(p, 'contacts', 'write');
    return api.addTag(p, handle(request), request.body);
  });

  app.get(`${VENDOR_API_PREFIX}/conversations/:id/messages`, opts, async (request) => {
    const p = principal(request);
    await apiKeys.requireScope(p, 'messages', 'read');
    return api.messages(p, handle(request), request.query);
  });
}
