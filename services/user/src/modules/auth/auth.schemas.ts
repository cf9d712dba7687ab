import { Type } from 'typebox';
import { NO_NUL } from '../users/users.schemas.js';

/** The seed's body `{"username":"…","password":"…"}`; `username` may hold an email, or send `email`. */
export const LoginBody = Type.Object(
  {
    username: Type.Optional(
      Type.String({ minLength: 1, maxLength: 254, pattern: NO_NUL, examples: ['testuser'] }),
    ),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, pattern: NO_NUL })),
    // Login accepts any length up to the policy maximum: a short password is simply wrong.
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

/** `refresh_token` may be left out by browser clients that keep it in the HttpOnly cookie (see routes). */
export const RefreshBody = Type.Object(
  { refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Access token lifetime in seconds' }),
    refresh_token: Type.Optional(
      Type.String({
        description:
          'Opaque; single use — every refresh returns a new one. Absent with `X-Token-Transport: cookie` (then it is in the HttpOnly cookie)',
      }),
    ),
    refresh_expires_in: Type.Integer(),
  },
  { additionalProperties: false },
);

export const JwksResponse = Type.Object({
  keys: Type.Array(Type.Object({ kty: Type.String(), kid: Type.String() }, { additionalProperties: true })),
});
