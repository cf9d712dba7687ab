import { useLocation } from 'preact-iso';
import { ErrorAlert, Field, fieldErrorsOf, Page, useSubmit } from '../components/ui.js';
import { safeNext } from '../lib/navigation.js';
import { session, shop } from '../services.js';

export function RegisterPage() {
  const { query, route } = useLocation();
  const { busy, error, onSubmit } = useSubmit(async (form) => {
    const input = {
      username: String(form.get('username') ?? '').trim(),
      email: String(form.get('email') ?? '').trim(),
      password: String(form.get('password') ?? ''),
    };
    await shop.register(input);
    await session.login(input.username, input.password);
    route(safeNext(query.next), true);
  });
  const fields = fieldErrorsOf(error);
  return (
    <Page title="Create an account">
      <form class="form narrow" onSubmit={onSubmit} noValidate>
        <ErrorAlert error={error} />
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          required
          hint="3–32 letters, digits, dots, dashes or underscores."
          error={fields.username}
        />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 12 characters."
          error={fields.password}
        />
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
        <p>
          Already registered? <a href="/login">Log in</a>
        </p>
      </form>
    </Page>
  );
}
