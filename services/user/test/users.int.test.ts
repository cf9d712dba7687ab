import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../src/modules/auth/password-hasher.js';
import { bootstrapAdmin } from '../src/modules/users/admin-bootstrap.js';
import { createUsersRepository } from '../src/modules/users/users.repository.js';
import { createUsersService } from '../src/modules/users/users.service.js';
import { newUser, registerAndLogin, useUserApp } from './harness.js';

const running = useUserApp('users');

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('registration', () => {
  it('creates a customer and never returns the password hash', async () => {
    const body = newUser();
    const res = await running.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
    expect(res.statusCode).toBe(201);
    const user = res.json();
    expect(user).toMatchObject({
      username: body.username,
      email: body.email,
      role: 'customer',
      display_name: null,
    });
    expect(res.headers.location).toBe(`/api/v1/users/${user.id}`);
    expect(JSON.stringify(user)).not.toMatch(/argon2|password/i);
  });

  it('stores an argon2id hash with the OWASP parameters m=19456 KiB, t=2, p=1', async () => {
    const body = newUser();
    await running.app.inject({ method: 'POST', url: '/api/v1/users', payload: body });
    const { rows } = await running.pool.query<{ password_hash: string }>(
      'SELECT password_hash FROM users.users WHERE username = $1',
      [body.username],
    );
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('rejects a duplicate username (any case) and a duplicate email with 409', async () => {
    const body = newUser();
    expect(
      (await running.app.inject({ method: 'POST', url: '/api/v1/users', payload: body })).statusCode,
    ).toBe(201);
    const sameName = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: newUser({ username: body.username.toUpperCase() }),
    });
    expect(sameName.statusCode).toBe(409);
    expect(sameName.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(sameName.json()).toMatchObject({ status: 409, code: 'USER.USERNAME_TAKEN' });
    const sameEmail = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: newUser({ email: body.email.toUpperCase() }),
    });
    expect(sameEmail.statusCode).toBe(409);
    expect(sameEmail.json()).toMatchObject({
      code: 'USER.EMAIL_TAKEN',
      errors: [{ pointer: '/body/email' }],
    });
  });

  it('enforces the password policy of 12–128 characters with a 400 naming the field', async () => {
    for (const password of ['short-pass1', 'x'.repeat(129)]) {
      const res = await running.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        payload: newUser({ password }),
      });
      expect(res.statusCode).toBe(400);
      const problem = res.json();
      expect(problem.code).toBe('REQUEST.VALIDATION_FAILED');
      expect(problem.errors[0].pointer).toBe('/body/password');
      expect(problem.errors[0].detail).toMatch(/12|128/);
    }
    const edge = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: newUser({ password: 'p'.repeat(12) }),
    });
    expect(edge.statusCode).toBe(201);
  });

  it('rejects malformed bodies, bad emails, unknown fields and huge payloads without a 500', async () => {
    const cases = [
      { payload: '{"username":', headers: { 'content-type': 'application/json' }, status: 400 },
      { payload: { ...newUser(), email: 'not-an-email' }, status: 400 },
      { payload: { ...newUser(), role: 'admin' }, status: 400 },
      { payload: { ...newUser(), username: "x' OR 1=1 --" }, status: 400 },
      { payload: { ...newUser(), username: 'nul\u0000byte' }, status: 400 },
      { payload: { ...newUser(), username: 'a'.repeat(100_000) }, status: 413 },
    ];
    for (const c of cases) {
      const res = await running.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        payload: c.payload as never,
        headers: c.headers ?? {},
      });
      expect(res.statusCode, JSON.stringify(c.payload).slice(0, 80)).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});

describe('GET/PATCH /api/v1/users/me', () => {
  it('answers 401 problem+json without a token', async () => {
    const res = await running.app.inject({ method: 'GET', url: '/api/v1/users/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toMatchObject({ status: 401, code: 'AUTH.MISSING_TOKEN' });
  });

  it('returns the caller and updates only profile fields', async () => {
    const { user, tokens } = await registerAndLogin(running.app);
    const me = await running.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: bearer(tokens.access_token),
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(user);

    const patched = await running.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(tokens.access_token),
      payload: { display_name: 'Test User', phone: '+49 30 1234567' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      id: user.id,
      display_name: 'Test User',
      phone: '+49 30 1234567',
      role: 'customer',
    });

    const cleared = await running.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(tokens.access_token),
      payload: { phone: null },
    });
    expect(cleared.json()).toMatchObject({ display_name: 'Test User', phone: null });
  });

  it('rejects role, id, email and password_hash in PATCH with 400 and changes nothing', async () => {
    const { user, tokens } = await registerAndLogin(running.app);
    for (const field of ['role', 'id', 'password_hash', 'email', 'username', 'password']) {
      const res = await running.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: bearer(tokens.access_token),
        payload: { display_name: 'x', [field]: field === 'role' ? 'admin' : 'forged-value-123' },
      });
      expect(res.statusCode, field).toBe(400);
      expect(res.json().errors[0].pointer).toBe(`/body/${field}`);
    }
    const nul = await running.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(tokens.access_token),
      payload: { display_name: 'a\u0000b' },
    });
    expect(nul.statusCode).toBe(400);
    const empty = await running.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(tokens.access_token),
      payload: {},
    });
    expect(empty.statusCode).toBe(400);
    const { rows } = await running.pool.query('SELECT role, display_name FROM users.users WHERE id = $1', [
      user.id,
    ]);
    expect(rows[0]).toEqual({ role: 'customer', display_name: null });
  });
});

describe('admin role', () => {
  it('bootstraps the admin idempotently, also when replicas race, and keeps its password', async () => {
    const users = createUsersService({
      users: createUsersRepository(running.pool),
      passwords: createPasswordHasher(),
    });
    const creds = { username: 'shopadmin', email: 'admin@shop.example', password: 'admin-password-2026' };
    const silent = { info: () => {} };
    const results = await Promise.all([1, 2, 3].map(() => bootstrapAdmin(users, creds, silent)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const again = await bootstrapAdmin(users, { ...creds, password: 'another-password-2026' }, silent);
    expect(again.created).toBe(false);
    const { rows } = await running.pool.query('SELECT role FROM users.users WHERE username = $1', [
      'shopadmin',
    ]);
    expect(rows).toEqual([{ role: 'admin' }]);
    const login = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users/login',
      payload: { username: 'shopadmin', password: creds.password },
    });
    expect(login.statusCode).toBe(200);
  });

  it('refuses an admin password that breaks the policy', async () => {
    const users = createUsersService({
      users: createUsersRepository(running.pool),
      passwords: createPasswordHasher(),
    });
    await expect(
      bootstrapAdmin(
        users,
        { username: 'weakadmin', email: 'weak@shop.example', password: 'short' },
        { info: () => {} },
      ),
    ).rejects.toThrow(/ADMIN_PASSWORD/);
  });

  it('lets an admin read any account, answers 403 to customers and 404 for unknown ids', async () => {
    const users = createUsersService({
      users: createUsersRepository(running.pool),
      passwords: createPasswordHasher(),
    });
    const creds = { username: 'admin2', email: 'admin2@shop.example', password: 'admin-password-2026' };
    await bootstrapAdmin(users, creds, { info: () => {} });
    const adminLogin = await running.app.inject({
      method: 'POST',
      url: '/api/v1/users/login',
      payload: { username: creds.username, password: creds.password },
    });
    const adminToken = adminLogin.json().access_token as string;
    const customer = await registerAndLogin(running.app);

    const asAdmin = await running.app.inject({
      method: 'GET',
      url: `/api/v1/users/${customer.user.id}`,
      headers: bearer(adminToken),
    });
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json().id).toBe(customer.user.id);

    const asCustomer = await running.app.inject({
      method: 'GET',
      url: `/api/v1/users/${customer.user.id}`,
      headers: bearer(customer.tokens.access_token),
    });
    expect(asCustomer.statusCode).toBe(403);
    expect(asCustomer.json().code).toBe('AUTH.FORBIDDEN');

    const missing = await running.app.inject({
      method: 'GET',
      url: '/api/v1/users/00000000-0000-4000-8000-000000000000',
      headers: bearer(adminToken),
    });
    expect(missing.statusCode).toBe(404);
    const badId = await running.app.inject({
      method: 'GET',
      url: '/api/v1/users/1%27%20OR%201=1',
      headers: bearer(adminToken),
    });
    expect(badId.statusCode).toBe(400);
  });
});
