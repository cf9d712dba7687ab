import { type Client, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import type { MetricsFactory } from '../core/metrics.js';
import { FlagdFileProvider, type FlagdFileProviderOptions } from './flagd-file.provider.js';

/**
 * The runtime fault flags Shop knows, each off by default. `percent` flags are clamped to 0–100,
 * `ms` to 0–60 000, `kib` to 0–65 536; a missing flag, a disabled one or a variant of the wrong type
 * evaluates to off.
 */
export const FAULT_FLAGS = {
  /** Share (%) of sandbox charges that fail at the provider: payment 502, order 503. */
  paymentFailure: 'percent',
  /** Milliseconds the sandbox provider waits before answering a charge. */
  paymentSlow: 'ms',
  /** The payment API answers 503 + Retry-After: the order service's breaker opens. */
  paymentUnreachable: 'boolean',
  /** Milliseconds added to every catalog read (product, list, search, categories). */
  productSlow: 'ms',
  /** Product cache reads fail: every read takes the PostgreSQL fallback path. */
  productCacheFailure: 'boolean',
  /** Share (%) of stock reservations answered 503 by the product service. */
  inventoryReserveFailure: 'percent',
  /** The order service's readiness answers 503 while liveness stays 200. */
  orderReadinessFailure: 'boolean',
  /** Milliseconds added to every login. */
  userLoginSlow: 'ms',
  /** KiB the product service retains per request (never freed until the flag is turned off). */
  memoryLeak: 'kib',
} as const;

export type FaultFlagKey = keyof typeof FAULT_FLAGS;
type KindValue = { percent: number; ms: number; kib: number; boolean: boolean };
export type FaultFlagValue<K extends FaultFlagKey> = KindValue[(typeof FAULT_FLAGS)[K]];
export type PercentFlag = {
  [K in FaultFlagKey]: (typeof FAULT_FLAGS)[K] extends 'percent' ? K : never;
}[FaultFlagKey];

const LIMITS = { percent: 100, ms: 60_000, kib: 65_536 } as const;

/** The typed accessor every service gets as `kit.flags`. */
export interface FaultFlags {
  /** The flag's current value: 0 / false when off. */
  get<K extends FaultFlagKey>(key: K): Promise<FaultFlagValue<K>>;
  /** true for the flag's share of calls (`paymentFailure: 50` → about every second call). */
  roll(key: PercentFlag): Promise<boolean>;
  /** Waits the flag's milliseconds (at once when off). */
  delay(key: 'paymentSlow' | 'productSlow' | 'userLoginSlow'): Promise<void>;
  /** The OpenFeature client behind it, for flags beyond the fault set. */
  readonly client: Client;
  /** Re-reads the flags file now (the watcher and the poll do this by themselves). */
  reload(): string[];
  close(): Promise<void>;
}

export interface FaultFlagsOptions extends Omit<FlagdFileProviderOptions, 'logger'> {
  /** OpenFeature domain; unique per kit, so several services in one process keep their own provider. */
  domain: string;
  logger: FlagdFileProviderOptions['logger'];
  /** Registers `shop_fault_flag{flag}` (the current value of each flag) when given. */
  metrics?: MetricsFactory;
  random?: () => number;
}

const clamp = (n: number, max: number) => (Number.isFinite(n) ? Math.min(Math.max(n, 0), max) : 0);

/** Fault flags from a flagd JSON file through OpenFeature; without a file every flag is off. */
export function createFaultFlags(options: FaultFlagsOptions): FaultFlags {
  const provider = new FlagdFileProvider(options);
  // No initialize(): the provider read the file in its constructor, so it is ready at once.
  OpenFeature.setProvider(options.domain, provider);
  const client = OpenFeature.getClient(options.domain);
  const random = options.random ?? Math.random;

  const evaluate = async <K extends FaultFlagKey>(key: K): Promise<FaultFlagValue<K>> => {
    const kind = FAULT_FLAGS[key];
    if (kind === 'boolean') return (await client.getBooleanValue(key, false)) as FaultFlagValue<K>;
    return clamp(
      await client.getNumberValue(key, 0),
      LIMITS[kind as keyof typeof LIMITS],
    ) as FaultFlagValue<K>;
  };
  // Flags are read on hot paths (every catalog request asks for `memoryLeak`), and an OpenFeature
  // evaluation of a flag the file does not define builds and catches an error each time. The file
  // provider has no targeting (a flag's value depends on the file alone), so each value is
  // evaluated once and kept until the file's flags change (the provider's generation) or another
  // provider is set for the domain.
  const cache = new Map<FaultFlagKey, Promise<unknown>>();
  let generation = provider.generation;
  client.addHandler(ProviderEvents.Ready, () => cache.clear());
  const get = <K extends FaultFlagKey>(key: K): Promise<FaultFlagValue<K>> => {
    if (generation !== provider.generation) {
      cache.clear();
      generation = provider.generation;
    }
    let value = cache.get(key);
    if (!value) {
      value = evaluate(key);
      cache.set(key, value);
    }
    return value as Promise<FaultFlagValue<K>>;
  };

  if (options.metrics) {
    options.metrics.gauge({
      name: 'shop_fault_flag',
      help: 'Current value of each runtime fault flag (0 = off; booleans as 1)',
      labelNames: ['flag'],
      async collect() {
        for (const key of Object.keys(FAULT_FLAGS) as FaultFlagKey[]) {
          this.set({ flag: key }, Number(await get(key)));
        }
      },
    });
  }

  return {
    get,
    client,
    async roll(key) {
      const pct = await get(key);
      return pct > 0 && random() * 100 < pct;
    },
    async delay(key) {
      const ms = await get(key);
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    },
    reload: () => provider.reload(),
    close: () => provider.onClose(),
  };
}
