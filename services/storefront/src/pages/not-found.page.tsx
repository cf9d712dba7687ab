import { Page } from '../components/ui.js';

export function NotFoundPage() {
  return (
    <Page title="Page not found">
      <p>
        There is nothing at this address. <a href="/">Back to the shop</a>
      </p>
    </Page>
  );
}
