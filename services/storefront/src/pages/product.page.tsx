import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { ErrorAlert, Loading, Money, Page } from '../components/ui.js';
import { useResource } from '../components/use-resource.js';
import { MAX_QUANTITY } from '../lib/cart.js';
import { cart, shop } from '../services.js';
import { NotFoundPage } from './not-found.page.js';

export function ProductPage() {
  const { params } = useRoute();
  const id = Number(params.id);
  const valid = Number.isSafeInteger(id) && id > 0;
  const resource = useResource(() => (valid ? shop.product(id) : Promise.resolve(undefined)), [id]);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<string>();

  if (!valid) return <NotFoundPage />;
  if (resource.loading && !resource.data) return <Loading />;
  if (resource.error && !resource.data) {
    return (
      <Page title="Product">
        <ErrorAlert error={resource.error} onRetry={resource.reload} />
      </Page>
    );
  }
  const product = resource.data?.product;
  if (!product) return <NotFoundPage />;
  const max = Math.min(product.stock, MAX_QUANTITY);
  const onAdd = (event: SubmitEvent) => {
    event.preventDefault();
    const q = Math.max(1, Math.min(max, Math.floor(quantity)));
    cart.add(
      {
        product_id: product.id,
        name: product.name,
        price_amount: product.price_amount,
        currency: product.currency,
      },
      q,
    );
    setAdded(`Added ${q} × ${product.name} to your cart.`);
  };
  return (
    <Page title={product.name}>
      <div class="product-detail">
        <p class="price price-large" data-testid="price">
          <Money amount={product.price_amount} currency={product.currency} />
        </p>
        <p class={product.stock > 0 ? 'stock' : 'stock out'} data-testid="stock">
          {product.stock > 0 ? `${product.stock} in stock` : 'Out of stock'}
        </p>
        <p class="sku">SKU {product.sku}</p>
        {product.description && <p class="description">{product.description}</p>}
        {product.stock > 0 && product.status === 'active' ? (
          <form class="add-to-cart" onSubmit={onAdd}>
            <div class="field field-inline">
              <label for="quantity">Quantity</label>
              <input
                id="quantity"
                name="quantity"
                type="number"
                min={1}
                max={max}
                step={1}
                value={quantity}
                onInput={(e) => setQuantity(Number((e.currentTarget as HTMLInputElement).value) || 1)}
              />
            </div>
            <button type="submit" class="button primary">
              Add to cart
            </button>
          </form>
        ) : (
          <p>This product cannot be ordered right now.</p>
        )}
        <p role="status" class="notice">
          {added && (
            <>
              {added} <a href="/cart">View cart</a>
            </>
          )}
        </p>
      </div>
    </Page>
  );
}
