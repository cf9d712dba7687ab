import { UnauthorizedError, ValidationError } from '@shop/service-kit';
import type { SignatureCheck } from '../sandbox/webhook-signature.js';

export const invalidWebhookSignature = (reason: Extract<SignatureCheck, { ok: false }>['reason']) =>
  new UnauthorizedError({
    code: 'WEBHOOK.INVALID_SIGNATURE',
    detail: `webhook signature rejected (${reason})`,
  });

export const invalidWebhookPayload = () =>
  new ValidationError({
    code: 'WEBHOOK.INVALID_PAYLOAD',
    detail: 'webhook body is not a sandbox event',
  });
