import type pg from 'pg';

export type Role = 'customer' | 'admin';

export interface UserRecord {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  role: Role;
  displayName: string | null;
  phone: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role?: Role;
}

export interface ProfilePatch {
  displayName?: string | null;
  phone?: string | null;
}

/** Which unique field a duplicate insert hit. */
export class DuplicateUserError extends Error {
  override name = 'DuplicateUserError';
  constructor(readonly field: 'username' | 'email') {
    super(`duplicate ${field}`);
  }
}

interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  role: Role;
  display_name: string | null;
  phone: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, username, email, password_hash, role, display_name, phone, created_at, updated_at';

const toRecord = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  email: row.email,
  passwordHash: row.password_hash,
  role: row.role,
  displayName: row.display_name,
  phone: row.phone,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

function duplicateField(err: unknown): 'username' | 'email' | undefined {
  const e = err as { code?: string; constraint?: string };
  if (e.code !== '23505') return undefined;
  return e.constraint === 'users_email_lower_key' ? 'email' : 'username';
}

export interface UsersRepository {
  insert(user: NewUser): Promise<UserRecord>;
  /** Finds by username or email, case-insensitively. */
  findByLogin(login: string): Promise<UserRecord | undefined>;
  findById(id: string): Promise<UserRecord | undefined>;
  updateProfile(id: string, patch: ProfilePatch): Promise<UserRecord | undefined>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Inserts the admin unless the name or email exists; an existing account is promoted. Race-safe. */
  ensureAdmin(user: NewUser): Promise<{ created: boolean; user: UserRecord }>;
}

export function createUsersRepository(pool: pg.Pool): UsersRepository {
  return {
    async insert(user) {
      try {
        const { rows } = await pool.query<UserRow>(
          `INSERT INTO users.users (username, email, password_hash, role)
           VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
          [user.username, user.email, user.passwordHash, user.role ?? 'customer'],
        );
        return toRecord(rows[0]!);
      } catch (err) {
        const field = duplicateField(err);
        if (field) throw new DuplicateUserError(field);
        throw err;
      }
    },
    async findByLogin(login) {
      // Usernames cannot contain '@', so an identifier matches at most one row of each kind;
      // prefer the username match for determinism.
      const { rows } = await pool.query<UserRow>(
        `SELECT ${COLUMNS} FROM users.users
         WHERE lower(username) = lower($1) OR lower(email) = lower($1)
         ORDER BY (lower(username) = lower($1)) DESC LIMIT 1`,
        [login],
      );
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
    async findById(id) {
      const { rows } = await pool.query<UserRow>(`SELECT ${COLUMNS} FROM users.users WHERE id = $1`, [id]);
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
    async updateProfile(id, patch) {
      // Only whitelisted profile columns can ever be written here; absent fields keep their value.
      const { rows } = await pool.query<UserRow>(
        `UPDATE users.users SET
           display_name = CASE WHEN $2::boolean THEN $3 ELSE display_name END,
           phone        = CASE WHEN $4::boolean THEN $5 ELSE phone END,
           updated_at   = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, 'displayName' in patch, patch.displayName ?? null, 'phone' in patch, patch.phone ?? null],
      );
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
    async updatePasswordHash(id, passwordHash) {
      await pool.query('UPDATE users.users SET password_hash = $2, updated_at = now() WHERE id = $1', [
        id,
        passwordHash,
      ]);
    },
    async ensureAdmin(user) {
      const inserted = await pool.query<UserRow>(
        `INSERT INTO users.users (username, email, password_hash, role)
         VALUES ($1, $2, $3, 'admin') ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
        [user.username, user.email, user.passwordHash],
      );
      if (inserted.rows[0]) return { created: true, user: toRecord(inserted.rows[0]) };
      const { rows } = await pool.query<UserRow>(
        `UPDATE users.users SET role = 'admin', updated_at = now()
         WHERE lower(username) = lower($1) RETURNING ${COLUMNS}`,
        [user.username],
      );
      if (!rows[0]) throw new DuplicateUserError('email');
      return { created: false, user: toRecord(rows[0]) };
    },
  };
}
