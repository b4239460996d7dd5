import { z } from 'zod';
import type { EmulatorContext } from './context.ts';
import { GraphError } from './errors.ts';
import type { Json } from './payloads.ts';

/** Fields `GET /{phone-number-id}` returns when none are asked for. */
const DEFAULT_FIELDS = [
  'verified_name',
  'code_verification_status',
  'display_phone_number',
  'quality_rating',
  'platform_type',
  'throughput',
  'id',
];

/** Every readable field of the emulated business number (§3.1, §3.2 and the phone-number node). */
function phoneFields(ctx: EmulatorContext): Json {
  const { settings } = ctx;
  return {
    verified_name: settings.verifiedName,
    code_verification_status: 'VERIFIED',
    display_phone_number: `+${settings.displayPhoneNumber}`,
    quality_rating: settings.qualityRating,
    quality_score: { score: settings.qualityRating },
    platform_type: 'CLOUD_API',
    throughput: { level: settings.throughput >= 1000 ? 'HIGH' : 'STANDARD' },
    whatsapp_business_manager_messaging_limit: settings.messagingLimitTier,
    messaging_limit_tier: settings.messagingLimitTier,
    name_status: 'APPROVED',
    status: 'CONNECTED',
    account_mode: 'LIVE',
    is_official_business_account: false,
    is_pin_enabled: ctx.pin !== undefined,
    id: settings.phoneNumberId,
  };
}

/** `GET /{phone-number-id}?fields=a,b`: the asked fields plus `id`; an unknown field is a (#100). */
export function readPhoneNumber(ctx: EmulatorContext, fieldsParam: string | null): Json {
  const all = phoneFields(ctx);
  const wanted = fieldsParam ? fieldsParam.split(',').map((f) => f.trim()) : DEFAULT_FIELDS;
  const out: Json = {};
  for (const field of wanted) {
    if (!(field in all))
      throw new GraphError(
        100,
        `Tried accessing nonexisting field (${field.slice(0, 64)}) on node type (WhatsAppBusinessPhoneNumber)`,
      );
    out[field] = all[field];
  }
  out.id = all.id;
  return out;
}

/** `GET /{waba-id}/phone_numbers`. */
export function listPhoneNumbers(ctx: EmulatorContext): Json {
  return { data: [readPhoneNumber(ctx, null)], paging: { cursors: { before: 'QVFIU', after: 'QVFIU' } } };
}

/** `GET /{waba-id}`. */
export function readWaba(ctx: EmulatorContext): Json {
  return {
    id: ctx.settings.wabaId,
    name: ctx.settings.verifiedName,
    currency: 'USD',
    timezone_id: '1',
    message_template_namespace: 'c8ae5f90_307a_ca4c_b8f6_d1e2a2573574',
  };
}

const pinBody = z.object({ pin: z.string().regex(/^\d{6}$/, 'must be 6 digits') }).strict();

/** `POST /{phone-number-id}` with `{ "pin": "150954" }`: sets two-step verification. */
export function setPin(ctx: EmulatorContext, raw: unknown): Json {
  const parsed = pinBody.safeParse(raw);
  if (!parsed.success) throw new GraphError(100, 'The parameter pin is invalid: must be a 6-digit string.');
  ctx.pin = parsed.data.pin;
  ctx.journal.pinChanges++;
  return { success: true };
}
