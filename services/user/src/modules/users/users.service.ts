import type { PasswordHasher } from '../auth/password-hasher.js';
import { duplicateUser, userNotFound } from './users.errors.js';
import {
  DuplicateUserError,
  type ProfilePatch,
  type Role,
  type UserRecord,
  type UsersRepository,
} from './users.repository.js';

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  email: string;
  role: Role;
  display_name: string | null;
  phone: string | null;
  created_at: string;
  updated_at: string;
}

export const toUserView = (user: UserRecord): UserView => ({
  id: user.id,
  username: user.username,
  email: user.email,
  role: user.role,
  display_name: user.displayName,
  phone: user.phone,
  created_at: user.createdAt.toISOString(),
  updated_at: user.updatedAt.toISOString(),
});

export interface UsersService {
  register(input: { username: string; email: string; password: string }): Promise<UserView>;
  get(id: string): Promise<UserView>;
  updateProfile(
    id: string,
    patch: { display_name?: string | null; phone?: string | null },
  ): Promise<UserView>;
  /** Creates the admin account or promotes an existing one with that username; idempotent. */
  ensureAdmin(input: { username: string; email: string; password: string }): Promise<{ created: boolean }>;
}

export function createUsersService(deps: {
  users: UsersRepository;
  passwords: PasswordHasher;
}): UsersService {
  const { users, passwords } = deps;
  return {
    async register(input) {
      const passwordHash = await passwords.hash(input.password);
      try {
        return toUserView(await users.insert({ username: input.username, email: input.email, passwordHash }));
      } catch (err) {
        if (err instanceof DuplicateUserError) throw duplicateUser(err.field);
        throw err;
      }
    },
    async get(id) {
      const user = await users.findById(id);
      if (!user) throw userNotFound();
      return toUserView(user);
    },
    async updateProfile(id, patch) {
      const change: ProfilePatch = {};
      if (patch.display_name !== undefined) change.displayName = patch.display_name;
      if (patch.phone !== undefined) change.phone = patch.phone;
      const user = await users.updateProfile(id, change);
      if (!user) throw userNotFound();
      return toUserView(user);
    },
    async ensureAdmin(input) {
      const passwordHash = await passwords.hash(input.password);
      try {
        const { created } = await users.ensureAdmin({
          username: input.username,
          email: input.email,
          passwordHash,
        });
        return { created };
      } catch (err) {
        if (err instanceof DuplicateUserError) throw duplicateUser(err.field);
        throw err;
      }
    },
  };
}
