import type { Random } from './random.ts';

/** Inbound message texts: many scripts, emoji, and every character Meta escapes. */
export const TEXTS = [
  'Does it come in another color?',
  '¿Dónde está mi pedido #4521?',
  '我的订单什么时候到？',
  'Скидка 50% ещё действует?',
  'Write to me at ana@example.com / or call me',
  '<b>not html</b> & "quotes" \\ backslash',
  'Line one\nLine two\ttabbed',
  '👍🏽 thanks! 🎉',
  'مرحبا، أريد المساعدة في طلبي',
  'お届けはいつになりますか？',
  'Can I return it within 30 days?',
  'STOP',
] as const;

export const CAPTIONS = [
  'Taj Mahal',
  'my receipt',
  'Größe M bitte',
  '破损的包裹',
  'see attached / 100%',
] as const;

/** Media kinds the population sends, with a MIME type and a file that starts with the right bytes. */
export const MEDIA_KINDS = {
  image: { mime: 'image/jpeg', head: [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00] },
  audio: { mime: 'audio/ogg; codecs=opus', head: [...Buffer.from('OggS\0')] },
  video: { mime: 'video/mp4', head: [0, 0, 0, 0x18, ...Buffer.from('ftypmp42')] },
  document: { mime: 'application/pdf', head: [...Buffer.from('%PDF-1.4\n')] },
  sticker: { mime: 'image/webp', head: [...Buffer.from('RIFF\0\0\0\0WEBPVP8 ')] },
} as const;

export type MediaKind = keyof typeof MEDIA_KINDS;

/** A small fake file of a media kind: the right magic bytes, then seeded noise. */
export function fixtureFile(kind: MediaKind, random: Random): Buffer {
  return Buffer.concat([Buffer.from(MEDIA_KINDS[kind].head), random.bytes(random.int(512, 4096))]);
}

export const DOCUMENT_NAMES = ['receipt.pdf', 'Rechnung_2026-05.pdf', '合同.pdf', 'invoice #42.pdf'] as const;

export const LOCATIONS = [
  {
    address: '101 Forest Ave, Palo Alto, CA 94301',
    latitude: 37.44221496582,
    longitude: -122.16165924072,
    name: 'Philz Coffee',
    url: 'https://philzcoffee.com/',
  },
  { latitude: -23.5613, longitude: -46.6565 },
  {
    address: 'Unter den Linden 77, 10117 Berlin',
    latitude: 52.5163,
    longitude: 13.3777,
    name: 'Hotel Adlon',
  },
] as const;

export const BUTTON_REPLIES = [
  { id: 'cancel-button', title: 'Cancel' },
  { id: 'confirm-button', title: 'Confirm ✅' },
  { id: 'agent', title: 'Talk to an agent' },
] as const;

export const LIST_REPLIES = [
  { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
  { id: 'ground', title: 'Ground', description: '5 to 7 days' },
] as const;

/** Template quick-reply payloads, including the opt-out style buttons (§3.8). */
export const QUICK_REPLIES = ['Unsubscribe', 'Stop promotions', 'Yes, confirm', 'Talk to agent'] as const;

export const EMOJI = ['👍', '❤️', '😂', '🙏', '😮'] as const;

export const UNSUPPORTED_TYPES = ['edit', 'poll', 'button', 'unknown'] as const;

export const REFERRAL = {
  source_url: 'https://fb.me/3cr4Wqqkv',
  source_id: '120226305854810726',
  source_type: 'ad',
  body: 'Summer succulents are here!',
  headline: 'Chat with us',
  media_type: 'image',
  image_url: 'https://scontent.xx.fbcdn.net/v/t45.1/ad.jpg',
  ctwa_clid:
    'Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iTROpBhWAGaIAeUzHL50',
  welcome_message: { text: 'Hi there! Let us know how we can help!' },
} as const;
