import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { compression } from 'vite-plugin-compression2';

// `npm run dev` (scripts/dev.mjs) runs the four services on :8080–:8083 without a gateway, so the dev
// server routes /api/v1 by prefix the way gateway/default.conf and the Ingress do. SHOP_API_URL sends
// everything to one gateway instead (e.g. a `docker compose up` stack on :8080).
const env = process.env;
const gateway = env.SHOP_API_URL;
const upstream = {
  user: gateway ?? env.USER_SERVICE_URL ?? 'http://127.0.0.1:8080',
  product: gateway ?? env.PRODUCT_SERVICE_URL ?? 'http://127.0.0.1:8081',
  order: gateway ?? env.ORDER_SERVICE_URL ?? 'http://127.0.0.1:8082',
  payment: gateway ?? env.PAYMENT_SERVICE_URL ?? 'http://127.0.0.1:8083',
};

export default defineConfig({
  plugins: [
    // Preact's JSX and hot reload that keeps component state (Prefresh).
    preact(),
    // Pre-compressed copies for nginx's gzip_static (the assets never change after the build, so they
    // are compressed once at the highest level instead of on every request).
    compression({ algorithms: ['gzip'], threshold: 512, include: /\.(js|css|html|svg|json)$/ }),
  ],
  build: {
    target: 'es2022',
    assetsDir: 'assets',
    // Content-hashed names under /assets/ are what the server caches for a year (immutable).
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    port: Number(env.STOREFRONT_PORT ?? 5173),
    strictPort: true,
    proxy: {
      '^/api/v1/users(/|$)': upstream.user,
      '/.well-known/jwks.json': upstream.user,
      '^/api/v1/(products|categories)(/|$)': upstream.product,
      '^/api/v1/orders(/|$)': upstream.order,
      '^/api/v1/payments(/|$)': upstream.payment,
    },
  },
});
