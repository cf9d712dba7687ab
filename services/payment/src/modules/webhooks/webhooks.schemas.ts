import { z } from 'zod';

/** The sandbox provider's webhook body, parsed after its signature was verified. */
export const sandboxEventSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.enum(['charge.succeeded', 'charge.failed']),
  created: z.number().int(),
  data: z.object({
    charge_id: z.string().min(1).max(128),
    reference: z.uuid(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.string(),
  }),
});

export type SandboxEvent = z.infer<typeof sandboxEventSchema>;
