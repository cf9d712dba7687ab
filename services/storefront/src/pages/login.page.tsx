import { useLocation } from 'preact-iso';
import { ErrorAlert, Field, fieldErrorsOf, Page, useSubmit } from '../components/ui.js';
import { safeNext } from '../lib/navigation.js';
import { session } from '../services.js';

export function LoginPage() {
  const { query, route } = useLocation();
  const { busy, error, onSubmit } = useSubmit(async (form) => {
    await session.login(String(form.get('username') ?? ''), String(form.get('password') ?? ''));
    route(safeNext(query.next), true);
  });
  const fields = fieldErrorsOf(error);
  return (
    <Page title="Log in">
      <form class="form narrow" onSubmit={onSubmit} noValidate>
        <ErrorAlert error={error} />
        <Field
          label="Username or email"
          name="username"
          autoComplete="username"
          required
          error={fields.username}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={fields.password}
        />
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p>
          New here?{' '}
          <a href={`/register${query.next ? `?next=${encodeURIComponent(query.next)}` : ''}`}>
            Create an account
          </a>
        </p>
      </form>
    </Page>
  );
}
