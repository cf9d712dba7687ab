// The categories module's error codes (CATEGORY.*) and the DomainErrors that carry them.
import { ConflictError, NotFoundError } from '@shop/service-kit';

export const CategoryErrorCodes = {
  slugTaken: 'CATEGORY.SLUG_TAKEN',
  notFound: 'CATEGORY.NOT_FOUND',
} as const;

export const slugTaken = () =>
  new ConflictError({
    code: CategoryErrorCodes.slugTaken,
    detail: 'A category with this slug already exists',
    errors: [{ pointer: '/body/slug', detail: 'slug is already in use' }],
  });

export const categoryNotFound = () =>
  new NotFoundError({ code: CategoryErrorCodes.notFound, detail: 'No such category' });
