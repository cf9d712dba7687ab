// The users module's error codes (USER.*) and the DomainErrors that carry them.
import { ConflictError, NotFoundError } from '@shop/service-kit';

export const UserErrorCodes = {
  usernameTaken: 'USER.USERNAME_TAKEN',
  emailTaken: 'USER.EMAIL_TAKEN',
  notFound: 'USER.NOT_FOUND',
} as const;

export const duplicateUser = (field: 'username' | 'email') =>
  new ConflictError({
    code: field === 'username' ? UserErrorCodes.usernameTaken : UserErrorCodes.emailTaken,
    title: 'Account already exists',
    detail: `An account with this ${field} already exists`,
    errors: [{ pointer: `/body/${field}`, detail: `${field} is already registered` }],
  });

export const userNotFound = () =>
  new NotFoundError({ code: UserErrorCodes.notFound, detail: 'No such user' });
