import { associatedData, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import { newId } from '../../lib/ids.ts';
import type { OutboxTable } from '../messages/messages.table.ts';

/** Associated data of a job's payload: whoever enqueues and the worker that opens it agree here. */
export function outboxPayloadAd(tenantId: string, jobId: string): Buffer {
  return associatedData(tenantId, 'outbox', 'payload', jobId);
}

/** A pending job, due now, its payload sealed under the tenant `restricted` key. */
export function newOutboxRow(
  restricted: AeadKey,
  job: { tenantId: string; kind: string; idempotencyKey: string; payload: unknown },
  now: string,
): OutboxTable {
  const id = newId('ob');
  return {
    id,
    tenant_id: job.tenantId,
    kind: job.kind,
    idempotency_key: job.idempotencyKey,
    payload_ct: seal(restricted, Buffer.from(JSON.stringify(job.payload)), outboxPayloadAd(job.tenantId, id)),
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    last_error: null,
    created_at: now,
    updated_at: now,
  };
}
