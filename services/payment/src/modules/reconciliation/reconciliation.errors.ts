import { ConflictError, ValidationError } from '@shop/service-kit';

export const invalidReconciliationDate = () =>
  new ValidationError({
    detail: 'date must be YYYY-MM-DD',
    errors: [{ pointer: '/body/date', detail: 'expected YYYY-MM-DD' }],
  });

/** Another replica (or a CLI run) holds the reconciliation lock. */
export const reconciliationInProgress = () =>
  new ConflictError({
    code: 'RECONCILIATION.IN_PROGRESS',
    detail: 'another replica is running the reconciliation; try again later',
    headers: { 'Retry-After': '10' },
  });
