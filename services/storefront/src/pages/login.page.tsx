import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ErrorAlert, Field, fieldErrorsOf, Page } from '../components/ui.js';
import { session } from '../services.js';

/** Only same-site paths: `?next=https://evil.example` must not turn the login into an open redirect. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)/.test(next) && !next.startsWith('/\\') ? next : '/';
}

export function LoginPage() {
  const { query, route } = useLocation();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      await session.login(String(form.get('username') ?? ''), String(form.get('password') ?? ''));
      route(safeNext(query.next), true);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
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
