import { z } from 'zod';
import { ValidationError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import * as repo from './audit.repository.ts';
import { checkpointFromJson, checkpointToJson, toCheckpoint } from './checkpoint.ts';
import { entryToJson } from './entry-json.ts';
import type { TrustedAnchor } from './verify.ts';

const PAGE = 5_000;

/**
 * Writes one tenant's log as JSON lines for a SIEM: its audit public keys, every chained entry
 * (ciphertexts base64, no plaintext), then every checkpoint. Keep the file: its last checkpoint is a
 * trust anchor for `chatvault audit verify --checkpoint FILE` later.
 */
export async function exportTenant(
  deps: { db: Db; keyring: Pick<Keyring, 'auditPublicKeys'> },
  tenantId: string,
  write: (line: string) => void | Promise<void>,
): Promise<{ entries: number; checkpoints: number }> {
  const emit = (value: object) => write(JSON.stringify(value) + '\n');
  for (const k of await deps.keyring.auditPublicKeys(tenantId)) {
    const spki = k.derived ?? k.stored;
    if (!spki) continue;
    await emit({
      type: 'public_key',
      tenantId,
      version: k.version,
      status: k.status,
      spki: spki.toString('base64'),
      confirmed: k.derived !== null && k.stored !== null && k.derived.equals(k.stored),
    });
  }
  let entries = 0;
  for (let after = -1; ;) {
    const rows = await repo.entriesAfter(deps.db, tenantId, after, PAGE);
    for (const row of rows) await emit({ type: 'entry', ...entryToJson(row) });
    entries += rows.length;
    if (rows.length < PAGE) break;
    after = Number(rows.at(-1)!.seq);
  }
  const checkpoints = (await repo.checkpoints(deps.db, tenantId)).map(toCheckpoint);
  for (const c of checkpoints) await emit({ type: 'checkpoint', ...checkpointToJson(c) });
  return { entries, checkpoints: checkpoints.length };
}

const hex32 = z.string().regex(/^[0-9a-f]{64}$/);
const base64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/);
const id = z.string().min(1).max(128);
const checkpointLine = z.object({
  type: z.literal('checkpoint'),
  tenantId: id,
  ordinal: z.number().int().min(0),
  treeSize: z.number().int().min(0),
  rootHash: hex32,
  chainHead: hex32,
  time: z.string().max(64),
  keyVersion: z.number().int().min(0).max(0xffffffff),
  signature: base64(200),
});
const keyLine = z.object({
  type: z.literal('public_key'),
  tenantId: id,
  version: z.number().int().min(0).max(0xffffffff),
  spki: base64(200),
});

/**
 * Reads trust anchors from an export file (or any JSON lines holding `checkpoint` and `public_key`
 * lines): per tenant, the checkpoint with the largest tree size and that tenant's public keys.
 */
export function parseTrustedFile(text: string): Map<string, TrustedAnchor> {
  const latest = new Map<string, z.infer<typeof checkpointLine>>();
  const keys = new Map<string, Map<number, Buffer>>();
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.includes('"checkpoint"') && !line.includes('"public_key"')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ValidationError(`Checkpoint file line ${i + 1} is not JSON`);
    }
    const type = (value as { type?: unknown }).type;
    if (type === 'checkpoint') {
      const c = parseLine(checkpointLine, value, i);
      if ((latest.get(c.tenantId)?.treeSize ?? -1) < c.treeSize) latest.set(c.tenantId, c);
    } else if (type === 'public_key') {
      const k = parseLine(keyLine, value, i);
      const forTenant = keys.get(k.tenantId) ?? new Map<number, Buffer>();
      forTenant.set(k.version, Buffer.from(k.spki, 'base64'));
      keys.set(k.tenantId, forTenant);
    }
  }
  const anchors = new Map<string, TrustedAnchor>();
  for (const [tenantId, c] of latest) {
    anchors.set(tenantId, { checkpoint: checkpointFromJson(c), publicKeys: keys.get(tenantId) ?? new Map() });
  }
  if (anchors.size === 0) throw new ValidationError('The checkpoint file holds no checkpoint');
  return anchors;
}

function parseLine<S extends z.ZodTypeAny>(schema: S, value: unknown, index: number): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`Checkpoint file line ${index + 1} is malformed`);
  return parsed.data as z.output<S>;
}
