import type { MessageKey } from './i18n/en.ts';
import type { Role } from './lib/session.tsx';

export interface NavItem {
  readonly path: string;
  readonly label: MessageKey;
  /** Roles that see the entry; the server decides again on every call. */
  readonly roles: readonly Role[];
}

/**
 * The console's sections, in order. Later pages (keys, privacy requests, vendors, incidents,
 * campaigns) add one entry here and one case in `pages/index.tsx`.
 */
export const NAV: readonly NavItem[] = [
  { path: '/inbox', label: 'nav.inbox', roles: ['agent', 'admin', 'owner'] },
  { path: '/search', label: 'nav.search', roles: ['agent', 'marketer', 'admin', 'owner'] },
  { path: '/team', label: 'nav.team', roles: ['admin', 'owner'] },
  { path: '/keys', label: 'nav.keys', roles: ['admin', 'owner'] },
  { path: '/vendors', label: 'nav.vendors', roles: ['admin', 'owner'] },
  { path: '/audit', label: 'nav.audit', roles: ['auditor'] },
  { path: '/alerts', label: 'nav.alerts', roles: ['admin', 'owner', 'auditor'] },
  { path: '/incidents', label: 'nav.incidents', roles: ['admin', 'owner', 'auditor'] },
  { path: '/privacy', label: 'nav.privacy', roles: ['admin', 'owner', 'auditor'] },
  { path: '/campaigns', label: 'nav.campaigns', roles: ['marketer'] },
  { path: '/access', label: 'nav.access', roles: ['agent', 'marketer', 'admin', 'owner', 'auditor'] },
];

export function navFor(role: Role): NavItem[] {
  return NAV.filter((item) => item.roles.includes(role));
}
