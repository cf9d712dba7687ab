import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { describeError } from '../lib/problem.js';
import { cart, session } from '../services.js';

function AccountLinks() {
  const { route } = useLocation();
  const [error, setError] = useState<unknown>();
  const state = session.state.value;
  if (state.status === 'restoring') return null;
  if (state.status === 'anonymous') {
    return (
      <>
        <li>
          <a href="/login">Log in</a>
        </li>
        <li>
          <a href="/register">Register</a>
        </li>
      </>
    );
  }
  const logout = async () => {
    try {
      await session.logout();
      route('/');
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <li>
        <a href="/orders">Orders</a>
      </li>
      {state.user.role === 'admin' && (
        <li>
          <a href="/admin">Admin</a>
        </li>
      )}
      <li class="account">
        <span class="signed-in">
          Signed in as <strong data-testid="username">{state.user.username}</strong>
        </span>
        <button type="button" class="link-button" onClick={logout}>
          Log out
        </button>
        {error !== undefined && (
          <span role="alert" class="field-error">
            {describeError(error)}
          </span>
        )}
      </li>
    </>
  );
}

function SiteSearch() {
  const { route, path, query } = useLocation();
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const q = new FormData(event.currentTarget as HTMLFormElement).get('q')?.toString().trim() ?? '';
    route(q ? `/search?q=${encodeURIComponent(q)}` : '/search');
  };
  return (
    <search class="site-search">
      <form action="/search" onSubmit={onSubmit}>
        <label for="site-search" class="visually-hidden">
          Search products
        </label>
        <input
          id="site-search"
          type="search"
          name="q"
          placeholder="Search products"
          key={path === '/search' ? query.q : ''}
          defaultValue={path === '/search' ? (query.q ?? '') : ''}
          maxLength={200}
        />
        <button type="submit" class="button">
          Search
        </button>
      </form>
    </search>
  );
}

export function Layout({ children }: { children: ComponentChildren }) {
  const count = cart.count.value;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <div class="header-row">
          <a class="brand" href="/">
            Shop
          </a>
          <SiteSearch />
        </div>
        <nav aria-label="Main">
          <ul class="nav-list">
            <li>
              <a href="/search">Catalog</a>
            </li>
            <li>
              <a href="/cart" data-testid="cart-link">
                Cart <span class="cart-count">({count})</span>
                <span class="visually-hidden"> {count === 1 ? 'item' : 'items'}</span>
              </a>
            </li>
            <AccountLinks />
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="site-footer">
        <p>Shop — a sandbox store: payments use test tokens, nothing is charged.</p>
      </footer>
    </>
  );
}
