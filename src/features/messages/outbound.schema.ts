import { z } from 'zod';

const mediaRef = z
  .object({
    /** Uploaded media id only: customer files are never sent as public links. */
    id: z.string().regex(/^\d{1,30}$/),
    caption: z.string().max(1024).optional(),
    filename: z.string().max(240).optional(),
  })
  .strict();

const templateParameter = z
  .object({
    type: z.enum(['text', 'currency', 'date_time', 'image', 'document', 'video', 'payload']),
    parameter_name: z.string().max(100).optional(),
    text: z.string().max(1024).optional(),
    payload: z.string().max(256).optional(),
    image: mediaRef.optional(),
    document: mediaRef.optional(),
    video: mediaRef.optional(),
  })
  .passthrough();

export const outboundContent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }).strict(),
  }),
  z.object({
    type: z.literal('template'),
    template: z
      .object({
        name: z.string().min(1).max(512),
        language: z.object({ code: z.string().min(2).max(15) }).passthrough(),
        components: z
          .array(
            z
              .object({
                type: z.enum(['header', 'body', 'button']),
                sub_type: z.string().max(32).optional(),
                index: z.string().max(3).optional(),
                parameters: z.array(templateParameter).max(100),
              })
              .strict(),
          )
          .max(20)
          .optional(),
      })
      .strict(),
  }),
  z.object({ type: z.literal('image'), image: mediaRef }),
  z.object({ type: z.literal('document'), document: mediaRef }),
  z.object({ type: z.literal('audio'), audio: mediaRef }),
  z.object({ type: z.literal('video'), video: mediaRef }),
  z.object({ type: z.literal('sticker'), sticker: mediaRef }),
]);
export type OutboundContent = z.infer<typeof outboundContent>;
