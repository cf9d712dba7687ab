// Admin pages (role `admin`): loaded on demand, so shoppers never download them. The services enforce
// the role; these pages only hide what a customer could not do anyway.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { ErrorAlert, Field, fieldErrorsOf, Loading, Money, Page } from '../../components/ui.js';
import { useResource } from '../../components/use-resource.js';
import { parseMoney, toDecimalString } from '../../lib/money.js';
import type {
  ProductInput,
  ReconciliationEntry,
  ReconciliationReport,
  VersionedProduct,
} from '../../lib/shop-api.js';
import { session, shop } from '../../services.js';

function AdminOnly({ children }: { children: ComponentChildren }) {
  const state = session.state.value;
  if (state.status === 'restoring') return <Loading />;
  if (state.status !== 'authenticated' || state.user.role !== 'admin') {
    return (
      <Page title="Admin">
        <p role="alert">
          This page is for shop administrators.{' '}
          {state.status === 'anonymous' && <a href="/login?next=%2Fadmin">Log in</a>}
        </p>
      </Page>
    );
  }
  return <>{children}</>;
}

export function AdminHome() {
  const { route } = useLocation();
  const [q, setQ] = useState('');
  const [submitted, setSubmitted] = useState('');
  const products = useResource(
    () => shop.search({ q: submitted || undefined, sort: submitted ? 'relevance' : 'newest', limit: 20 }),
    [submitted],
  );
  return (
    <AdminOnly>
      <Page title="Admin">
        <ul class="admin-actions">
          <li>
            <a class="button primary" href="/admin/products/new">
              Create a product
            </a>
          </li>
          <li>
            <a class="button secondary" href="/admin/reconciliation">
              Run a reconciliation
            </a>
          </li>
        </ul>
        <h2>Products</h2>
        <search>
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              setSubmitted(q.trim());
            }}
          >
            <label for="admin-q">Find a product</label>
            <input
              id="admin-q"
              type="search"
              value={q}
              onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)}
            />
            <button type="submit" class="button">
              Find
            </button>
          </form>
        </search>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const id = new FormData(e.currentTarget as HTMLFormElement).get('id');
            if (id) route(`/admin/products/${encodeURIComponent(String(id))}`);
          }}
        >
          <label for="admin-id">Edit by product id (also inactive ones)</label>
          <input id="admin-id" name="id" type="number" min={1} step={1} required />
          <button type="submit" class="button">
            Open
          </button>
        </form>
        <ErrorAlert error={products.error} onRetry={products.reload} />
        {products.loading && !products.data && <Loading />}
        {products.data && (
          <table class="admin-table">
            <caption class="visually-hidden">Active products</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">SKU</th>
                <th scope="col">Price</th>
                <th scope="col">Stock</th>
              </tr>
            </thead>
            <tbody>
              {products.data.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <a href={`/admin/products/${p.id}`} aria-label={`Edit ${p.name}`}>
                      {p.name}
                    </a>
                  </td>
                  <td>{p.sku}</td>
                  <td>
                    <Money amount={p.price_amount} currency={p.currency} />
                  </td>
                  <td>{p.stock}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Page>
    </AdminOnly>
  );
}

/** The editor's form values → a create/update body; client-side errors keyed like the server's. */
export function productInputFromForm(form: FormData): {
  input: ProductInput;
  errors: Record<string, string>;
} {
  const text = (k: string) => String(form.get(k) ?? '').trim();
  const errors: Record<string, string> = {};
  const currency = text('currency').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) errors.currency = 'Use a three-letter currency code such as USD.';
  const price = /^[A-Z]{3}$/.test(currency) ? parseMoney(text('price'), currency) : undefined;
  if (price === undefined)
    errors.price_amount = `Enter a price such as 12.50${currency ? ` ${currency}` : ''}.`;
  const stock = text('stock');
  if (!/^\d+$/.test(stock)) errors.stock = 'Enter a whole number of units (0 or more).';
  const category = text('category_id');
  const input: ProductInput = {
    sku: text('sku'),
    name: text('name'),
    description: text('description'),
    category_id: category ? Number(category) : null,
    price_amount: price ?? 0,
    currency,
    stock: Number(stock),
    status: text('status') === 'inactive' ? 'inactive' : 'active',
  };
  return { input, errors };
}

export function ProductEditor() {
  const { params } = useRoute();
  const { route } = useLocation();
  const isNew = params.id === 'new';
  const id = Number(params.id);
  const loaded = useResource(() => (isNew ? Promise.resolve(undefined) : shop.product(id)), [params.id]);
  const categories = useResource(() => shop.categories(), []);
  const [error, setError] = useState<unknown>();
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [current, setCurrent] = useState<VersionedProduct>();
  const data = current ?? loaded.data;

  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    const { input, errors } = productInputFromForm(new FormData(event.currentTarget as HTMLFormElement));
    setClientErrors(errors);
    setSaved(undefined);
    setError(undefined);
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    try {
      if (isNew) {
        const product = await shop.createProduct(input);
        route(`/admin/products/${product.id}`, true);
        setSaved(`Created ${product.name}.`);
      } else if (data) {
        const next = await shop.updateProduct(id, input, data.etag);
        setCurrent(next);
        setSaved(`Saved ${next.product.name}.`);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const adjust = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!data) return;
    const delta = Number(new FormData(event.currentTarget as HTMLFormElement).get('delta'));
    setError(undefined);
    setSaved(undefined);
    if (!Number.isInteger(delta) || delta === 0) {
      setClientErrors({ delta: 'Enter a whole number of units to add (or a negative number to remove).' });
      return;
    }
    const stock = data.product.stock + delta;
    if (stock < 0) {
      setClientErrors({ delta: `Only ${data.product.stock} units are in stock.` });
      return;
    }
    setClientErrors({});
    setBusy(true);
    try {
      const next = await shop.updateProduct(id, { stock }, data.etag);
      setCurrent(next);
      setSaved(`Stock of ${next.product.name} is now ${next.product.stock}.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const fields = { ...fieldErrorsOf(error), ...clientErrors };
  const p = data?.product;
  const title = isNew ? 'Create a product' : p ? `Edit ${p.name}` : 'Edit product';
  return (
    <AdminOnly>
      <Page title={title}>
        <p>
          <a href="/admin">Back to admin</a>
        </p>
        {!isNew && loaded.loading && !data && <Loading />}
        {!isNew && loaded.error !== undefined && !data && (
          <ErrorAlert error={loaded.error} onRetry={loaded.reload} />
        )}
        {(isNew || p) && (
          <form class="form" onSubmit={save} key={p ? `${p.id}-${p.version}` : 'new'} noValidate>
            <ErrorAlert error={error} />
            <Field
              label="SKU"
              name="sku"
              required
              defaultValue={p?.sku ?? ''}
              error={fields.sku}
              hint="Letters, digits, dots, dashes, underscores."
            />
            <Field label="Name" name="name" required defaultValue={p?.name ?? ''} error={fields.name} />
            <div class={`field${fields.description ? ' field-invalid' : ''}`}>
              <label for="field-description">Description</label>
              <textarea
                id="field-description"
                name="description"
                rows={4}
                defaultValue={p?.description ?? ''}
              />
              {fields.description && <p class="field-error">{fields.description}</p>}
            </div>
            <div class="field">
              <label for="field-category_id">Category</label>
              <select id="field-category_id" name="category_id">
                <option value="">No category</option>
                {categories.data?.map((c) => (
                  <option key={c.id} value={String(c.id)} selected={c.id === p?.category_id}>
                    {c.name}
                  </option>
                ))}
              </select>
              {fields.category_id && <p class="field-error">{fields.category_id}</p>}
            </div>
            <Field
              label="Price"
              name="price"
              inputMode="decimal"
              required
              defaultValue={p ? toDecimalString(p.price_amount, p.currency) : ''}
              error={fields.price_amount}
            />
            <Field
              label="Currency"
              name="currency"
              required
              maxLength={3}
              defaultValue={p?.currency ?? 'USD'}
              error={fields.currency}
            />
            <Field
              label="Stock"
              name="stock"
              type="number"
              min={0}
              step={1}
              required
              defaultValue={String(p?.stock ?? 0)}
              error={fields.stock}
            />
            <div class="field">
              <label for="field-status">Status</label>
              <select id="field-status" name="status">
                <option value="active" selected={p?.status !== 'inactive'}>
                  Active (shown in the shop)
                </option>
                <option value="inactive" selected={p?.status === 'inactive'}>
                  Inactive (hidden)
                </option>
              </select>
            </div>
            <button type="submit" class="button primary" disabled={busy}>
              {isNew ? 'Create product' : 'Save changes'}
            </button>
          </form>
        )}
        {p && (
          <form class="form inline-form" onSubmit={adjust}>
            <h2>Adjust stock</h2>
            <p>
              In stock now: <strong data-testid="admin-stock">{p.stock}</strong>
            </p>
            <Field
              label="Units to add (negative to remove)"
              name="delta"
              type="number"
              step={1}
              required
              error={fields.delta}
            />
            <button type="submit" class="button secondary" disabled={busy}>
              Adjust stock
            </button>
          </form>
        )}
        <p role="status" class="notice">
          {saved}
        </p>
      </Page>
    </AdminOnly>
  );
}

function EntryRows({ entries, label }: { entries: ReconciliationEntry[]; label: string }) {
  if (entries.length === 0) return null;
  return (
    <table class="admin-table">
      <caption>{label}</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Provider reference</th>
          <th scope="col">Ledger</th>
          <th scope="col">Provider</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e, i) => (
          <tr key={`${e.provider_ref}-${i}`}>
            <td>
              {e.kind}
              {e.side ? ` (${e.side.replaceAll('_', ' ')})` : ''}
            </td>
            <td>{e.provider_ref ?? '—'}</td>
            <td>
              <Money amount={e.ledger_amount} currency={e.currency} />
            </td>
            <td>
              <Money amount={e.provider_amount} currency={e.currency} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReconciliationPage() {
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [report, setReport] = useState<ReconciliationReport>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = async (event?: SubmitEvent) => {
    event?.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setReport(await shop.reconcile(date));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <AdminOnly>
      <Page title="Reconciliation">
        <p>
          <a href="/admin">Back to admin</a>
        </p>
        <form class="inline-form" onSubmit={run}>
          <label for="recon-date">Day (UTC)</label>
          <input
            id="recon-date"
            type="date"
            value={date}
            required
            onInput={(e) => setDate((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Running…' : 'Run reconciliation'}
          </button>
        </form>
        <ErrorAlert error={error} onRetry={() => run()} />
        {report && (
          <section aria-labelledby="report-heading" data-testid="recon-report">
            <h2 id="report-heading">Report for {report.date}</h2>
            <dl class="order-meta">
              <div>
                <dt>Matched</dt>
                <dd data-testid="recon-matched">{report.totals.matched}</dd>
              </div>
              <div>
                <dt>Missing</dt>
                <dd>{report.totals.missing}</dd>
              </div>
              <div>
                <dt>Mismatched</dt>
                <dd>{report.totals.mismatched}</dd>
              </div>
            </dl>
            <p>
              Provider {report.provider}, generated {new Date(report.generated_at).toLocaleString('en-US')}.
            </p>
            <EntryRows entries={report.missing} label="Missing" />
            <EntryRows entries={report.mismatched} label="Mismatched" />
            <EntryRows entries={report.matched} label="Matched" />
          </section>
        )}
      </Page>
    </AdminOnly>
  );
}
