import { z } from 'zod';

const graphId = z.string().regex(/^\d{5,30}$/, 'must be a numeric Graph API id');

/** The channel config file of `chatvault channel add`. */
export const channelConfig = z
  .object({
    appSecret: z.string().min(16).max(256),
    verifyToken: z.string().min(8).max(256),
    accessToken: z.string().min(16).max(4096),
    phoneNumberId: graphId,
    wabaId: graphId,
  })
  .strict();
export type ChannelConfig = z.infer<typeof channelConfig>;

export const channelSecretsPatch = channelConfig
  .pick({ appSecret: true, verifyToken: true, accessToken: true })
  .partial();
export type ChannelSecretsPatch = z.infer<typeof channelSecretsPatch>;
