// The outbox relay wakes at COMMIT with LISTEN/NOTIFY, which needs a session-level connection. Where the
// services reach PostgreSQL through PgBouncer in transaction mode, every render must switch it off
// (OUTBOX_LISTEN=false: the relay polls), or LISTEN would land on pooled server connections.
import { describe, expect, it } from 'vitest';
import { deployableRenders } from './support/context.js';
import type { K8sObject } from './support/renders.js';

describe('OUTBOX_LISTEN follows the connection path', () => {
  it.each(deployableRenders().map((r) => [r.id, r] as const))(
    '%s: app-config through PgBouncer sets OUTBOX_LISTEN=false',
    (_id, render) => {
      const configs = render.objects.filter(
        (o: K8sObject) =>
          o.kind === 'ConfigMap' && /^(app-config|[a-z]+-service-config)$/.test(o.metadata.name),
      ) as Array<K8sObject & { data?: Record<string, string> }>;
      const viaPooler = configs.filter((c) => c.data?.DB_HOST?.startsWith('pgbouncer'));
      for (const c of viaPooler) expect(c.data?.OUTBOX_LISTEN, `${c.metadata.name}`).toBe('false');
    },
  );

  it('at least one render goes through PgBouncer (the check above is not vacuous)', () => {
    const viaPooler = deployableRenders().filter((r) =>
      r.objects.some(
        (o: K8sObject) =>
          o.kind === 'ConfigMap' &&
          (o as { data?: Record<string, string> }).data?.DB_HOST?.startsWith('pgbouncer'),
      ),
    );
    expect(viaPooler.length).toBeGreaterThan(0);
  });
});
