import type { Product } from '../lib/shop-api.js';
import { Money } from './ui.js';

export function ProductGrid({ products }: { products: Product[] }) {
  if (products.length === 0) return <p>No products match.</p>;
  return (
    <ul class="product-grid">
      {products.map((p) => (
        <li key={p.id} class="product-card">
          <h3 class="product-card-title">
            <a href={`/products/${p.id}`}>{p.name}</a>
          </h3>
          <p class="price">
            <Money amount={p.price_amount} currency={p.currency} />
          </p>
          <p class={p.stock > 0 ? 'stock' : 'stock out'}>
            {p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}
          </p>
        </li>
      ))}
    </ul>
  );
}
