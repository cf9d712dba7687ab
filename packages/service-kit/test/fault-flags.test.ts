import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@shop/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createServiceKit } from '../src/core/service-kit.js';
import { createFaultFlags, type FaultFlags } from '../src/flags/fault-flags.js';
import { FlagdFileProvider, parseFlagdDocument } from '../src/flags/flagd-file.provider.js';

type Line = { level: 'info' | 'warn' | 'error'; obj: object; msg: string };
const captureLogger = () => {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
};

/** flagd JSON with one enabled flag per entry, its value as the default variant. */
const flagd = (values: Record<string, number | boolean>) =>
  JSON.stringify({
    $schema: 'https://flagd.dev/schema/v0/flags.json',
    flags: Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        k,
        {
          state: 'ENABLED',
          variants: { off: typeof v === 'boolean' ? false : 0, on: v },
          defaultVariant: 'on',
        },
      ]),
    ),
  });

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'shop-flags-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function flagsOn(file: string | undefined, options: { pollIntervalMs?: number; watch?: boolean } = {}) {
  const { lines, logger } = captureLogger();
  const flags = createFaultFlags({ domain: `test-${Math.random()}`, file, logger, ...options });
  cleanups.push(() => flags.close());
  return { flags, lines };
}

describe('flagd flag definitions', () => {
  it('parses state, variants and defaultVariant and names every invalid flag', () => {
    const { flags } = parseFlagdDocument(flagd({ paymentFailure: 50, orderReadinessFailure: true }));
    expect(flags.get('paymentFailure')).toEqual({
      state: 'ENABLED',
      variants: { off: 0, on: 50 },
      defaultVariant: 'on',
    });
    expect(() =>
      parseFlagdDocument(
        JSON.stringify({
          flags: {
            a: { state: 'ON', variants: { x: 1 }, defaultVariant: 'x' },
            b: { state: 'ENABLED', variants: { x: 1 }, defaultVariant: 'y' },
          },
        }),
      ),
    ).toThrow(/a: state must be ENABLED or DISABLED; b: defaultVariant must name one of the variants/);
    expect(() => parseFlagdDocument('[]')).toThrow(/not an object/);
  });
});

describe('fault flags from a flags file', () => {
  it('evaluates every flag as off without a file, and with a missing file', async () => {
    for (const file of [undefined, join(tempDir(), 'absent.json')]) {
      const { flags, lines } = flagsOn(file);
      expect(await flags.get('paymentFailure')).toBe(0);
      expect(await flags.get('paymentUnreachable')).toBe(false);
      expect(await flags.roll('paymentFailure')).toBe(false);
      if (file) expect(lines.map((l) => l.msg)).toContain('flags file not found: every flag is off');
    }
  });

  it('reads typed values, clamps them and treats a DISABLED flag or a wrong type as off', async () => {
    const file = join(tempDir(), 'flags.json');
    writeFileSync(
      file,
      JSON.stringify({
        flags: {
          paymentFailure: { state: 'ENABLED', variants: { on: 250 }, defaultVariant: 'on' },
          paymentSlow: { state: 'DISABLED', variants: { on: 500 }, defaultVariant: 'on' },
          productSlow: { state: 'ENABLED', variants: { on: 'fast' }, defaultVariant: 'on' },
          orderReadinessFailure: {
            state: 'ENABLED',
            variants: { on: true, off: false },
            defaultVariant: 'on',
          },
          userLoginSlow: { state: 'ENABLED', variants: { on: -5 }, defaultVariant: 'on' },
        },
      }),
    );
    const { flags } = flagsOn(file);
    expect(await flags.get('paymentFailure')).toBe(100);
    expect(await flags.get('paymentSlow')).toBe(0);
    expect(await flags.get('productSlow')).toBe(0);
    expect(await flags.get('orderReadinessFailure')).toBe(true);
    expect(await flags.get('userLoginSlow')).toBe(0);
    expect(await flags.roll('paymentFailure')).toBe(true);
  });

  it('rolls a percent flag for its share of calls', async () => {
    const file = join(tempDir(), 'flags.json');
    writeFileSync(file, flagd({ inventoryReserveFailure: 30 }));
    const { lines, logger } = captureLogger();
    const draws = [0.1, 0.29, 0.3, 0.9];
    const flags: FaultFlags = createFaultFlags({
      domain: 'roll',
      file,
      logger,
      random: () => draws.shift()!,
    });
    cleanups.push(() => flags.close());
    const rolls = [];
    for (let i = 0; i < 4; i++) rolls.push(await flags.roll('inventoryReserveFailure'));
    expect(rolls).toEqual([true, true, false, false]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('reloads a rewritten file without a restart, through the directory watch', async () => {
    const file = join(tempDir(), 'flags.json');
    writeFileSync(file, flagd({ paymentFailure: 0 }));
    const { flags, lines } = flagsOn(file, { pollIntervalMs: 0 });
    const changes: unknown[] = [];
    flags.client.addHandler('PROVIDER_CONFIGURATION_CHANGED' as never, (d) => changes.push(d?.flagsChanged));
    expect(await flags.get('paymentFailure')).toBe(0);
    writeFileSync(file, flagd({ paymentFailure: 50 }));
    await eventually(async () => ((await flags.get('paymentFailure')) === 50 ? true : undefined), {
      attempts: 300,
      intervalMs: 10,
    });
    expect(changes).toEqual([['paymentFailure']]);
    expect(lines.filter((l) => l.msg === 'flags reloaded').at(-1)?.obj).toMatchObject({
      changed: { paymentFailure: 50 },
    });
  });

  it('follows a ConfigMap-style symlink swap and a file that appears later, through the poll', async () => {
    const dir = tempDir();
    const file = join(dir, 'flags.json');
    const { flags } = flagsOn(file, { pollIntervalMs: 25, watch: false });
    expect(await flags.get('memoryLeak')).toBe(0);
    // kubelet: a timestamped directory, `..data` pointing at it, the file a symlink through `..data`.
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'flags.json'), flagd({ memoryLeak: 64 }));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/flags.json', file);
    await eventually(async () => ((await flags.get('memoryLeak')) === 64 ? true : undefined), {
      attempts: 300,
      intervalMs: 10,
    });
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'flags.json'), flagd({ memoryLeak: 0 }));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await eventually(async () => ((await flags.get('memoryLeak')) === 0 ? true : undefined), {
      attempts: 300,
      intervalMs: 10,
    });
  });

  it('keeps the last good set when the file is not valid JSON, logs why once, and turns every flag off when the file is removed', async () => {
    const file = join(tempDir(), 'flags.json');
    writeFileSync(file, flagd({ productCacheFailure: true }));
    const { lines, logger } = captureLogger();
    const provider = new FlagdFileProvider({ file, logger, pollIntervalMs: 0, watch: false });
    cleanups.push(() => provider.onClose());
    const { flags } = flagsOn(file, { pollIntervalMs: 0, watch: false });
    expect(await flags.get('productCacheFailure')).toBe(true);

    writeFileSync(file, '{"flags": {"productCacheFailure": ');
    expect(flags.reload()).toEqual([]);
    expect(provider.reload()).toEqual([]);
    expect(provider.reload()).toEqual([]);
    expect(await flags.get('productCacheFailure')).toBe(true);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe('flags file is not valid flagd JSON: keeping the last good flag set');

    writeFileSync(file, flagd({ productCacheFailure: false }));
    expect(flags.reload()).toEqual(['productCacheFailure']);
    expect(await flags.get('productCacheFailure')).toBe(false);

    writeFileSync(file, flagd({ productCacheFailure: true }));
    flags.reload();
    unlinkSync(file);
    expect(flags.reload()).toEqual(['productCacheFailure']);
    expect(await flags.get('productCacheFailure')).toBe(false);
  });

  it('is part of every kit: FLAGS_FILE drives kit.flags and shop_fault_flag reports each value', async () => {
    const file = join(tempDir(), 'flags.json');
    writeFileSync(file, flagd({ paymentSlow: 120, orderReadinessFailure: true }));
    const kit = createServiceKit({ name: 'flags-test', exit: () => {}, flags: { file, pollIntervalMs: 0 } });
    expect(await kit.flags.get('paymentSlow')).toBe(120);
    const metrics = await kit.registry.metrics();
    expect(metrics).toContain('shop_fault_flag{flag="paymentSlow",service="flags-test"} 120');
    expect(metrics).toContain('shop_fault_flag{flag="orderReadinessFailure",service="flags-test"} 1');
    expect(metrics).toContain('shop_fault_flag{flag="paymentFailure",service="flags-test"} 0');
    const other = createServiceKit({ name: 'no-flags', exit: () => {} });
    expect(await other.flags.get('paymentSlow')).toBe(0);
    await kit.shutdown('test');
    await other.shutdown('test');
  });
});
