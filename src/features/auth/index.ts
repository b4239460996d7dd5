import type { FastifyInstance } from 'fastify';
import type { Access } from '../access/access.service.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { accountRoutes } from './account.routes.ts';
import { adminRoutes } from './admin.routes.ts';
import { authRoutes } from './auth.routes.ts';
import type { Auth } from './auth.service.ts';
import { registerAuthenticate } from './authenticate.ts';
import { enrollRoutes } from './enroll.routes.ts';
import { registerSecurityHeaders } from './security-headers.ts';

export { requireFreshMfa, StepUpRequiredError } from './step-up.ts';

/** Security headers, the session hook that sets `request.actor`, and every auth route. */
export function registerAuth(
  app: FastifyInstance,
  deps: {
    auth: Auth;
    access: Pick<Access, 'session'>;
    operators: Pick<OperatorService, 'getById'>;
    tenants: Pick<TenantService, 'getById'>;
    publicUrl: string;
  },
): void {
  registerSecurityHeaders(app);
  registerAuthenticate(app, deps.auth, deps.publicUrl);
  authRoutes(app, deps.auth, deps.publicUrl);
  enrollRoutes(app, deps.auth, deps.publicUrl);
  accountRoutes(app, deps.auth);
  adminRoutes(app, deps);
}
