import { ProductGrid } from '../components/product-grid.js';
import { ErrorAlert, Loading, Page } from '../components/ui.js';
import { useResource } from '../components/use-resource.js';
import { shop } from '../services.js';

export function HomePage() {
  const categories = useResource(() => shop.categories(), []);
  const newest = useResource(() => shop.search({ sort: 'newest', limit: 8 }), []);
  return (
    <Page title="Welcome to Shop">
      <p class="lead">Everyday things, delivered. Browse by category or search the whole catalog.</p>
      <section aria-labelledby="categories-heading">
        <h2 id="categories-heading">Categories</h2>
        {categories.loading && !categories.data && <Loading />}
        <ErrorAlert error={categories.error} onRetry={categories.reload} />
        {categories.data && (
          <ul class="category-list">
            {categories.data.map((c) => (
              <li key={c.id}>
                <a href={`/search?category_id=${c.id}`}>{c.name}</a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="newest-heading">
        <h2 id="newest-heading">New arrivals</h2>
        {newest.loading && !newest.data && <Loading />}
        <ErrorAlert error={newest.error} onRetry={newest.reload} />
        {newest.data && <ProductGrid products={newest.data.items} />}
        <p>
          <a href="/search">See the whole catalog</a>
        </p>
      </section>
    </Page>
  );
}
