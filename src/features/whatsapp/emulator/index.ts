/** The Cloud API emulator's public surface; see README.md in this folder. */
export { startEmulator } from './emulator.ts';
export type { ChannelSettings, Delivered, Emulator, EmulatorStats } from './emulator.ts';
export { emulatorSettings, isLoopbackHost } from './config.ts';
export type { EmulatorOptions, EmulatorSettings, EmulatorSettingsInput } from './config.ts';
export type { DeliverKind, DeliverOptions } from './events.ts';
export { INBOUND_KINDS } from './inbound.ts';
export type { InboundKind, InboundOptions } from './inbound.ts';
export type { SentMessage } from './journal.ts';
export type { LoadOptions, LoadReport, LoadRun } from './load.ts';
export { MEDIA_URL_TTL_MS } from './media.ts';
export { metaJson, signBody } from './meta-json.ts';
export type { Customer, CustomerBehaviour, Population } from './population.ts';
export type { StatusName } from './statuses.ts';
export type { TemplateStatus, TemplateCategory, Template } from './templates.ts';
export type { DeliveryOutcome, SenderStats } from './webhook-sender.ts';
