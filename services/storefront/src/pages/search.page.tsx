import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ProductGrid } from '../components/product-grid.js';
import { ErrorAlert, Field, fieldErrorsOf, Loading, Page } from '../components/ui.js';
import { useResource } from '../components/use-resource.js';
import { parseMoney, toDecimalString } from '../lib/money.js';
import { type SearchParams, searchQuery } from '../lib/shop-api.js';
import { shop } from '../services.js';

/** Price filters are typed in the store currency. */
export const STORE_CURRENCY = 'USD';
const SORTS: Array<[NonNullable<SearchParams['sort']>, string]> = [
  ['relevance', 'Best match'],
  ['newest', 'Newest'],
  ['price_asc', 'Price: low to high'],
  ['price_desc', 'Price: high to low'],
  ['name_asc', 'Name: A to Z'],
];

const int = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : undefined);

/** The page's URL query → API search parameters (unknown or malformed values are dropped). */
export function paramsFromQuery(query: Record<string, string>): SearchParams {
  const sort = SORTS.find(([s]) => s === query.sort)?.[0];
  const min = int(query.min_price);
  const max = int(query.max_price);
  return {
    q: query.q?.trim() || undefined,
    category_id: int(query.category_id),
    min_price: min,
    max_price: max,
    currency: min !== undefined || max !== undefined ? STORE_CURRENCY : undefined,
    sort,
    cursor: query.cursor || undefined,
    limit: 12,
  };
}

export function SearchPage() {
  const { query, route } = useLocation();
  const params = paramsFromQuery(query);
  const key = searchQuery(params);
  const results = useResource(() => shop.search(params), [key]);
  const categories = useResource(() => shop.categories(), []);
  const [formErrors, setFormErrors] = useState<Record<string, string>>({});

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => form.get(name)?.toString().trim() ?? '';
    const errors: Record<string, string> = {};
    const price = (name: string) => {
      const value = text(name);
      if (value === '') return undefined;
      const minor = parseMoney(value, STORE_CURRENCY);
      if (minor === undefined) errors[name] = 'Enter an amount such as 12.50.';
      return minor;
    };
    const next: SearchParams = {
      q: text('q') || undefined,
      category_id: int(text('category_id')),
      min_price: price('min_price'),
      max_price: price('max_price'),
      sort: (text('sort') || undefined) as SearchParams['sort'],
    };
    setFormErrors(errors);
    if (Object.keys(errors).length === 0) route(`/search${searchQuery(next)}`);
  };

  const serverErrors = fieldErrorsOf(results.error);
  const heading = params.q ? `Results for “${params.q}”` : 'Catalog';
  const nextCursor = results.data?.next_cursor;
  const { cursor: _cursor, limit: _limit, currency: _currency, ...current } = params;
  return (
    <Page title={heading}>
      <form class="filters" key={key} onSubmit={onSubmit} aria-label="Search filters">
        <Field
          label="Search"
          name="q"
          type="search"
          defaultValue={params.q ?? ''}
          maxLength={200}
          error={serverErrors.q}
        />
        <div class="field">
          <label for="field-category_id">Category</label>
          <select id="field-category_id" name="category_id">
            <option value="">All categories</option>
            {categories.data?.map((c) => (
              <option key={c.id} value={String(c.id)} selected={c.id === params.category_id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <Field
          label={`Min price (${STORE_CURRENCY})`}
          name="min_price"
          inputMode="decimal"
          defaultValue={
            params.min_price !== undefined ? toDecimalString(params.min_price, STORE_CURRENCY) : ''
          }
          error={formErrors.min_price ?? serverErrors.min_price}
        />
        <Field
          label={`Max price (${STORE_CURRENCY})`}
          name="max_price"
          inputMode="decimal"
          defaultValue={
            params.max_price !== undefined ? toDecimalString(params.max_price, STORE_CURRENCY) : ''
          }
          error={formErrors.max_price ?? serverErrors.max_price}
        />
        <div class="field">
          <label for="field-sort">Sort by</label>
          <select id="field-sort" name="sort">
            <option value="">Default</option>
            {SORTS.map(([value, label]) => (
              <option key={value} value={value} selected={value === params.sort}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button">
          Apply filters
        </button>
      </form>
      <section aria-labelledby="results-heading" aria-busy={results.loading ? 'true' : 'false'}>
        <h2 id="results-heading" class="visually-hidden">
          Products
        </h2>
        {results.loading && !results.data && <Loading />}
        <ErrorAlert error={results.error} onRetry={results.reload} />
        {results.data && <ProductGrid products={results.data.items} />}
        <nav class="pager" aria-label="Result pages">
          {params.cursor && <a href={`/search${searchQuery(current)}`}>First page</a>}
          {nextCursor && (
            <a href={`/search${searchQuery({ ...current, cursor: nextCursor })}`} rel="next">
              Next page
            </a>
          )}
        </nav>
      </section>
    </Page>
  );
}
