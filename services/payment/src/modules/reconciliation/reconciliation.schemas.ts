import { Type } from 'typebox';

/** One ledger/provider pair of a reconciliation report. */
const Entry = Type.Object(
  {
    kind: Type.String(),
    provider_ref: Type.Union([Type.String(), Type.Null()]),
    ledger_id: Type.Union([Type.String(), Type.Null()]),
    ledger_amount: Type.Union([Type.Integer(), Type.Null()]),
    provider_amount: Type.Union([Type.Integer(), Type.Null()]),
    provider_status: Type.Optional(Type.String()),
    currency: Type.String(),
    side: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** `POST /api/v1/payments/reconciliations` body: one UTC day. */
export const ReconciliationRequest = Type.Object(
  { date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2026-01-31'] }) },
  { additionalProperties: false },
);

/** The report: totals and every matched, missing and mismatched entry. */
export const ReconciliationReport = Type.Object({
  date: Type.String(),
  provider: Type.String(),
  generated_at: Type.String(),
  totals: Type.Object({
    matched: Type.Integer(),
    missing: Type.Integer(),
    mismatched: Type.Integer(),
  }),
  matched: Type.Array(Entry),
  missing: Type.Array(Entry),
  mismatched: Type.Array(Entry),
});
