import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import { detectionDb, type DeliveryStatus, type DetectionAlertsTable } from './detection.table.ts';
import type { DetectionSettings } from './settings.service.ts';
import { createMailer, type Mailer } from './smtp.ts';
import { alertToJson } from './alerts.ts';

const MAX_ATTEMPTS = 8;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as Stripe-style receivers verify it. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Delivers new alerts to the tenant's e-mail addresses (SMTP) and signed webhook, with retries and
 * backoff. Status per route is kept on the alert row; a route not configured is `skipped`.
 */
export function createAlertDelivery(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  settings: Pick<DetectionSettings, 'routes'>;
  /** Sends alert e-mail with the deployment's TLS settings (default: opportunistic STARTTLS). */
  mailer?: Mailer;
}) {
  const db = detectionDb(deps.db);
  const sendMail = deps.mailer ?? createMailer();
  let current: Promise<number> = Promise.resolve(0);

  async function deliverOne(row: DetectionAlertsTable): Promise<void> {
    const routes = await deps.settings.routes(row.tenant_id);
    const json = alertToJson(row);
    let email: DeliveryStatus = row.email_status;
    let webhook: DeliveryStatus = row.webhook_status;
    if (email === 'pending') {
      if (!routes.smtp || routes.alertEmails.length === 0) email = 'skipped';
      else {
        try {
          await sendMail(routes.smtp, {
            from: routes.smtp.from,
            to: routes.alertEmails,
            subject: `[ChatVault ${row.severity}] ${row.rule}`,
            text: `${row.summary}\n\nAlert ${row.id} (${row.rule}, ${row.severity}) at ${row.event_at}.\nOpen the console: Alerts.\n`,
          });
          email = 'sent';
        } catch (error) {
          deps.logger.warn({ err: error, alertId: row.id }, 'alert e-mail failed');
        }
      }
    }
    if (webhook === 'pending') {
      if (!routes.webhookUrl || !routes.webhookSecret) webhook = 'skipped';
      else {
        try {
          const body = JSON.stringify({ type: 'alert', alert: json });
          const signature = signWebhook(
            routes.webhookSecret,
            body,
            Math.floor(deps.clock.now().getTime() / 1000),
          );
          const res = await request(routes.webhookUrl, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', 'chatvault-signature': signature },
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          });
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) webhook = 'sent';
          else deps.logger.warn({ alertId: row.id, status: res.statusCode }, 'alert webhook refused');
        } catch (error) {
          deps.logger.warn({ err: error, alertId: row.id }, 'alert webhook failed');
        }
      }
    }
    const attempts = row.attempts + 1;
    const done = email !== 'pending' && webhook !== 'pending';
    const giveUp = !done && attempts >= MAX_ATTEMPTS;
    const next = new Date(deps.clock.now().getTime() + 1000 * 2 ** attempts).toISOString();
    await db
      .updateTable('detection_alerts')
      .set({
        email_status: giveUp && email === 'pending' ? 'failed' : email,
        webhook_status: giveUp && webhook === 'pending' ? 'failed' : webhook,
        attempts,
        next_attempt_at: done || giveUp ? null : next,
      })
      .where('id', '=', row.id)
      .execute();
  }

  async function runOnce(): Promise<number> {
    const due = await db
      .selectFrom('detection_alerts')
      .selectAll()
      .where('next_attempt_at', 'is not', null)
      .where('next_attempt_at', '<=', deps.clock.now().toISOString())
      .orderBy('next_attempt_at')
      .limit(50)
      .execute();
    for (const row of due) {
      // Claim it for a minute (compare-and-set), so another process does not deliver it at once too.
      const lease = new Date(deps.clock.now().getTime() + 60_000).toISOString();
      const claimed = await db
        .updateTable('detection_alerts')
        .set({ next_attempt_at: lease })
        .where('id', '=', row.id)
        .where('next_attempt_at', '=', row.next_attempt_at)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      try {
        await deliverOne(row);
      } catch (error) {
        // Sealed vault (routes unreadable) or a database error: retried on the next run.
        deps.logger.warn({ err: error, alertId: row.id }, 'alert delivery postponed');
      }
    }
    return due.length;
  }

  return {
    /** Delivers what is due now; runs in this process never overlap. */
    run(): Promise<number> {
      const next = current.catch(() => 0).then(runOnce);
      current = next;
      return next;
    },
  };
}
