import type { ServiceKit } from '@shop/service-kit';
import type { FastifyInstance } from 'fastify';

const CATALOG_READ = /^\/api\/v1\/(products|categories)(\/|\?|$)/;

/**
 * The product service's request-level fault flags: `productSlow` delays every catalog read (GET on
 * products and categories) and `memoryLeak` retains that many KiB per request until the flag is off
 * again — RSS grows (`process_resident_memory_bytes`), and in a cluster the pod is OOM-killed at its limit.
 */
export function registerProductFaults(app: FastifyInstance, kit: ServiceKit): void {
  const leaked: Buffer[] = [];
  let leakedBytes = 0;
  kit.metrics.gauge({
    name: 'shop_fault_memory_leak_bytes',
    help: 'Bytes retained by the memoryLeak fault flag',
    collect() {
      this.set(leakedBytes);
    },
  });
  app.addHook('onRequest', async (request) => {
    const kib = await kit.flags.get('memoryLeak');
    if (kib > 0) {
      // Filled, not just allocated, so the pages are resident.
      leaked.push(Buffer.alloc(kib * 1024, 1));
      leakedBytes += kib * 1024;
    } else if (leaked.length > 0) {
      leaked.length = 0;
      leakedBytes = 0;
    }
    if (request.method === 'GET' && CATALOG_READ.test(request.url)) await kit.flags.delay('productSlow');
  });
}
