import { Counter, type Registry } from 'prom-client';

/** Returns the counter already on the registry or registers it (several relays/consumers may share one). */
export function counterOn(
  registry: Registry | undefined,
  name: string,
  help: string,
  labelNames: string[],
): Counter<string> | undefined {
  if (!registry) return undefined;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
