/** Shapes of the API answers the console reads (see the server's feature folders). */
export type FieldView = 'masked' | 'withheld';
export type ContactField = 'phone' | 'profileName' | 'email' | 'attributes';

export interface MaskedIdentity {
  id: string;
  phone: string | null;
  profileName: string | null;
  email: string | null;
  tags: string[];
  views: Record<ContactField, FieldView>;
}

export interface ConversationSummary {
  id: string;
  contact: MaskedIdentity;
  unread: number;
  lastInboundAt: string | null;
  windowExpiresAt: string | null;
  lastMessageAt: string | null;
  lastDirection: string | null;
  assignedOperatorIds: string[];
  canRead: boolean;
}

export interface ConversationDetail extends ConversationSummary {
  canSend: boolean;
  canAssign: boolean;
  canTag: boolean;
  consent: { purpose: string; state: 'opt_in' | 'opt_out'; source: string; at: string }[];
}

export interface MessageView {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  status: string;
  errorCode: number | null;
  sentAt: string;
  text?: string;
  caption?: string;
  media?: { id: string; mimeType: string; size: number; filename?: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  reply?: { title: string; description?: string };
  reaction?: string | null;
  contacts?: string[];
  template?: { name: string; language: string };
  /** Kinds cut out into the restricted field (or the secure form's template). */
  restricted?: string[];
}

export interface TemplateSummary {
  name: string;
  language: string;
  category: string;
  body: string;
  parameters: string[];
  named: boolean;
}

export interface TeamMember {
  id: string;
  email: string;
  name: string | null;
  role: string;
  status: string;
  createdAt: string;
  mfa: string[];
  sessions: { live: number; lastSeenAt: string | null };
  training: { current: boolean; expiresAt: string | null };
}
