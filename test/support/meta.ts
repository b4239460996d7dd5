import { createHmac } from 'node:crypto';

/** Serialises like Meta: non-ASCII as \uXXXX and `/` as `\/`, so signatures are over those exact bytes. */
export function metaJson(value: unknown): Buffer {
  const json = JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
  return Buffer.from(json, 'utf8');
}

export function sign(body: Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

export const WABA_ID = '102290129340398';
export const PHONE_NUMBER_ID = '106540352242922';

/** A `messages` delivery in Meta's envelope. */
export function messagesDelivery(value: Record<string, unknown>, field = 'messages') {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA_ID,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
              ...value,
            },
            field,
          },
        ],
      },
    ],
  };
}

export function textMessage(
  waId: string,
  name: string,
  wamid: string,
  body: string,
  timestamp = '1749416383',
) {
  return messagesDelivery({
    contacts: [{ profile: { name }, wa_id: waId }],
    messages: [{ from: waId, id: wamid, timestamp, type: 'text', text: { body } }],
  });
}
