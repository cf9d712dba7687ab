import { ErrorBoundary, LocationProvider, lazy, Route, Router } from 'preact-iso';
import { Layout } from './components/layout.js';
import { markNavigated } from './components/ui.js';
import { CartPage } from './pages/cart.page.js';
import { CheckoutPage } from './pages/checkout.page.js';
import { HomePage } from './pages/home.page.js';
import { LoginPage } from './pages/login.page.js';
import { NotFoundPage } from './pages/not-found.page.js';
import { OrderPage } from './pages/order.page.js';
import { OrdersPage } from './pages/orders.page.js';
import { ProductPage } from './pages/product.page.js';
import { RegisterPage } from './pages/register.page.js';
import { SearchPage } from './pages/search.page.js';

// Shoppers never download the admin pages.
const AdminHome = lazy(() => import('./pages/admin/admin.pages.js').then((m) => m.AdminHome));
const ProductEditor = lazy(() => import('./pages/admin/admin.pages.js').then((m) => m.ProductEditor));
const ReconciliationPage = lazy(() =>
  import('./pages/admin/admin.pages.js').then((m) => m.ReconciliationPage),
);

let first = true;
function onRouteChange() {
  if (first) {
    first = false;
    return;
  }
  markNavigated();
}

export function App() {
  return (
    <LocationProvider>
      <Layout>
        <ErrorBoundary>
          <Router onRouteChange={onRouteChange}>
            <Route path="/" component={HomePage} />
            <Route path="/search" component={SearchPage} />
            <Route path="/products/:id" component={ProductPage} />
            <Route path="/login" component={LoginPage} />
            <Route path="/register" component={RegisterPage} />
            <Route path="/cart" component={CartPage} />
            <Route path="/checkout" component={CheckoutPage} />
            <Route path="/orders" component={OrdersPage} />
            <Route path="/orders/:id" component={OrderPage} />
            <Route path="/admin" component={AdminHome} />
            <Route path="/admin/reconciliation" component={ReconciliationPage} />
            <Route path="/admin/products/:id" component={ProductEditor} />
            <Route default component={NotFoundPage} />
          </Router>
        </ErrorBoundary>
      </Layout>
    </LocationProvider>
  );
}
