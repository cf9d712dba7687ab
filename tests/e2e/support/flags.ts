// The runtime fault flags file (flagd JSON) that the e2e stacks mount through FLAGS_FILE.
import { renameSync, writeFileSync } from 'node:fs';

export type FlagValues = Record<string, number | boolean>;

/**
 * Writes `values` as enabled flagd flags (default variant `on`), the way an editor or kubelet does: a
 * new file renamed over the old one. `{}` turns every flag off.
 */
export function writeFlagsFile(file: string, values: FlagValues): void {
  const flags = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      {
        state: 'ENABLED',
        variants: { on: value, off: typeof value === 'boolean' ? false : 0 },
        defaultVariant: 'on',
      },
    ]),
  );
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ $schema: 'https://flagd.dev/schema/v0/flags.json', flags }, null, 2));
  renameSync(tmp, file);
}

/** true when a service's /metrics text reports every flag of `values` (`shop_fault_flag`). */
export function metricsShowFlags(metricsText: string, values: FlagValues): boolean {
  return Object.entries(values).every(([key, value]) =>
    new RegExp(`^shop_fault_flag\\{flag="${key}"[^}]*\\} ${Number(value)}$`, 'm').test(metricsText),
  );
}
