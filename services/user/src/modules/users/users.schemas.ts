import { Type } from 'typebox';

/** PostgreSQL text cannot hold NUL; refusing it in the schema turns it into a 400, not a 500. */
export const NO_NUL = '^[^\\u0000]*$';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

const Username = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: 'Letters, digits, ".", "_" and "-"; unique regardless of case',
  examples: ['testuser'],
});
const Email = Type.String({ format: 'email', maxLength: 254, examples: ['testuser@example.com'] });
const Password = Type.String({
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  description: `Between ${PASSWORD_MIN} and ${PASSWORD_MAX} characters`,
});
const DisplayName = Type.Union([Type.String({ minLength: 1, maxLength: 100, pattern: NO_NUL }), Type.Null()]);
const Phone = Type.Union([Type.String({ pattern: '^\\+?[0-9 ()-]{3,32}$', maxLength: 32 }), Type.Null()]);

export const RegisterBody = Type.Object(
  { username: Username, email: Email, password: Password },
  { additionalProperties: false },
);

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    email: Type.String(),
    role: Type.Union([Type.Literal('customer'), Type.Literal('admin')]),
    display_name: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

/** Only profile fields; anything else (role, id, email, password_hash, …) is rejected with 400. */
export const ProfilePatchBody = Type.Object(
  { display_name: Type.Optional(DisplayName), phone: Type.Optional(Phone) },
  { additionalProperties: false, minProperties: 1 },
);

export const UserIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
