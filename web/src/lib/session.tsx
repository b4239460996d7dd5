import { createContext, useContext } from 'react';

export type Role = 'agent' | 'marketer' | 'admin' | 'auditor' | 'owner';

export interface Me {
  readonly operator: {
    readonly id: string;
    readonly tenantId: string;
    readonly email: string;
    readonly name: string | null;
    readonly role: Role;
  };
  readonly session: { readonly expiresAt: string; readonly mfaMethod: string | null };
}

export interface SessionContextValue {
  readonly me: Me;
  readonly signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in page');
  return value;
}
