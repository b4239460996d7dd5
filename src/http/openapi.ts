import { accessOpenApiPaths } from '../features/access/access.openapi.ts';
import { auditOpenApiPaths } from '../features/audit/audit.openapi.ts';
import { incidentOpenApiPaths } from '../features/incidents/incidents.openapi.ts';
import { authOpenApiPaths } from '../features/auth/auth.openapi.ts';
import { vendorOpenApiPaths } from '../features/vendor-api/vendor-api.openapi.ts';
import { privacyDataOpenApiPaths } from '../features/collect/privacy-data.openapi.ts';
import { privacyOpsOpenApiPaths } from '../features/dsr/privacy-ops.openapi.ts';

/** The published HTTP contract; each feature adds its paths here as it grows. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'ChatVault API', version: '0.1.0' },
  components: {
    securitySchemes: { vendorKey: { type: 'http', scheme: 'bearer', description: 'cv_<env>_<id>_<secret>' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error', 'requestId'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
          requestId: { type: 'string' },
        },
      },
      SealStatus: {
        type: 'object',
        properties: {
          sealed: { type: 'boolean' },
          received: { type: 'integer' },
          threshold: { type: 'integer' },
        },
      },
    },
  },
  paths: {
    ...privacyOpsOpenApiPaths,
    ...auditOpenApiPaths,
    ...incidentOpenApiPaths,
    ...authOpenApiPaths,
    ...accessOpenApiPaths,
    ...vendorOpenApiPaths,
    ...privacyDataOpenApiPaths,
    '/healthz': {
      get: { summary: 'Liveness', responses: { '200': { description: 'The process is alive' } } },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: unsealed and database reachable',
        responses: { '200': { description: 'Ready' }, '503': { description: 'Sealed or database down' } },
      },
    },
    '/api/v1/sys/seal-status': {
      get: {
        summary: 'Seal state and unseal progress',
        responses: { '200': { description: 'Seal status' } },
      },
    },
    '/api/v1/sys/unseal': {
      post: {
        summary: 'Submit one unseal share (shares may arrive one at a time, from different people)',
        requestBody: {
          content: {
            'application/json': {
              schema: { type: 'object', required: ['share'], properties: { share: { type: 'string' } } },
            },
          },
        },
        responses: {
          '200': { description: 'Unseal progress' },
          '400': { description: 'Malformed or wrong share' },
        },
      },
    },
  },
} as const;
