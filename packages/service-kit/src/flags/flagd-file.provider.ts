import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import {
  type EvaluationContext,
  FlagNotFoundError,
  type JsonValue,
  OpenFeatureEventEmitter,
  ParseError,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  StandardResolutionReasons,
  TypeMismatchError,
} from '@openfeature/server-sdk';

type FlagLogger = {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
};

/** One flag of flagd's flag-definition JSON (`targeting` is not evaluated by this provider). */
export interface FlagdFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, JsonValue>;
  defaultVariant: string;
}

export interface FlagdFileProviderOptions {
  /** The flags file; absent or missing on disk means no flags (every evaluation gets its default). */
  file: string | undefined;
  logger: FlagLogger;
  /** Polling fallback for file systems where `fs.watch` misses changes (default 2000 ms; 0 = no polling). */
  pollIntervalMs?: number;
  /** `fs.watch` on the file's directory (default true): ConfigMap updates swap a symlink there. */
  watch?: boolean;
}

/** Parses flagd's JSON flag definitions; throws with every problem named. Targeting rules are ignored. */
export function parseFlagdDocument(text: string): {
  flags: Map<string, FlagdFlag>;
  ignoredTargeting: string[];
} {
  const doc = JSON.parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error('the document is not an object');
  const raw = (doc as { flags?: unknown }).flags;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error('"flags" is not an object');
  const flags = new Map<string, FlagdFlag>();
  const problems: string[] = [];
  const ignoredTargeting: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const flag = value as Partial<FlagdFlag> & { targeting?: unknown };
    if (typeof flag !== 'object' || flag === null) {
      problems.push(`${key}: not an object`);
      continue;
    }
    if (flag.state !== 'ENABLED' && flag.state !== 'DISABLED')
      problems.push(`${key}: state must be ENABLED or DISABLED`);
    if (typeof flag.variants !== 'object' || flag.variants === null || Array.isArray(flag.variants)) {
      problems.push(`${key}: variants must be an object`);
      continue;
    }
    if (typeof flag.defaultVariant !== 'string' || !(flag.defaultVariant in flag.variants)) {
      problems.push(`${key}: defaultVariant must name one of the variants`);
      continue;
    }
    if (flag.targeting !== undefined && Object.keys(flag.targeting as object).length > 0)
      ignoredTargeting.push(key);
    flags.set(key, { state: flag.state!, variants: flag.variants, defaultVariant: flag.defaultVariant });
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { flags, ignoredTargeting };
}

const sameFlag = (a: FlagdFlag | undefined, b: FlagdFlag | undefined) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * An OpenFeature provider on a flagd flag-definition file (the `flags` object: `state`, `variants`,
 * `defaultVariant`), reloaded without a restart: `fs.watch` on the directory reacts within
 * milliseconds, a poll every `pollIntervalMs` catches what watching misses (some bind mounts, network
 * file systems). A file that does not parse keeps the last good flag set (and logs why); a missing
 * file means no flags. Written here because `@openfeature/flagd-provider`'s offline mode needs
 * `@grpc/grpc-js` loaded, polls every 5 s and, when the file is missing at start, never loads it later.
 */
export class FlagdFileProvider implements Provider {
  readonly metadata = { name: 'flagd-file' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private flags = new Map<string, FlagdFlag>();
  /** Goes up whenever a flag definition changes: lets readers cache values between changes. */
  generation = 0;
  private lastText: string | undefined;
  private missingLogged = false;
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;

  constructor(private readonly options: FlagdFileProviderOptions) {
    this.reload();
    const file = options.file;
    if (!file) return;
    if (options.watch !== false) {
      try {
        // ConfigMaps swap the `..data` symlink, editors rename temp files: any event of the directory
        // triggers a read, which costs little because an unchanged text is ignored.
        this.watcher = watch(dirname(file), { persistent: false }, () => {
          clearTimeout(this.debounce);
          this.debounce = setTimeout(() => this.reload(), 20);
        });
        this.watcher.on('error', () => this.stopWatching());
      } catch {
        // The directory may not exist (yet): polling alone picks the file up when it appears.
      }
    }
    const interval = options.pollIntervalMs ?? 2000;
    if (interval > 0) {
      this.pollTimer = setInterval(() => this.reload(), interval);
      this.pollTimer.unref();
    }
  }

  /** The current flag definitions (a copy), for metrics and tests. */
  snapshot(): Map<string, FlagdFlag> {
    return new Map(this.flags);
  }

  /** Reads the file now; returns the keys whose definition changed. */
  reload(): string[] {
    const { file, logger } = this.options;
    if (!file) return [];
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!this.missingLogged) logger.info({ file }, 'flags file not found: every flag is off');
        this.missingLogged = true;
        this.lastText = undefined;
        return this.replace(new Map());
      }
      logger.error({ err, file }, 'flags file unreadable: keeping the last good flag set');
      return [];
    }
    this.missingLogged = false;
    if (text === this.lastText) return [];
    this.lastText = text;
    let parsed: ReturnType<typeof parseFlagdDocument>;
    try {
      parsed = parseFlagdDocument(text);
    } catch (err) {
      logger.error(
        { file, reason: (err as Error).message },
        'flags file is not valid flagd JSON: keeping the last good flag set',
      );
      return [];
    }
    if (parsed.ignoredTargeting.length > 0) {
      logger.warn(
        { flags: parsed.ignoredTargeting },
        'flag targeting rules are not evaluated: defaultVariant applies',
      );
    }
    const changed = this.replace(parsed.flags);
    if (changed.length > 0) {
      logger.info(
        { file, changed: Object.fromEntries(changed.map((k) => [k, this.describe(k)])) },
        'flags reloaded',
      );
    }
    return changed;
  }

  private describe(key: string): JsonValue {
    const flag = this.flags.get(key);
    if (!flag) return 'removed';
    return flag.state === 'DISABLED' ? 'disabled' : (flag.variants[flag.defaultVariant] ?? null);
  }

  private replace(next: Map<string, FlagdFlag>): string[] {
    const keys = new Set([...this.flags.keys(), ...next.keys()]);
    const changed = [...keys].filter((k) => !sameFlag(this.flags.get(k), next.get(k)));
    this.flags = next;
    if (changed.length > 0) {
      this.generation++;
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
    }
    return changed;
  }

  private resolve<T extends JsonValue>(key: string, defaultValue: T, type: string): ResolutionDetails<T> {
    const flag = this.flags.get(key);
    if (!flag) throw new FlagNotFoundError(`flag ${key} is not defined`);
    if (flag.state === 'DISABLED') return { value: defaultValue, reason: StandardResolutionReasons.DISABLED };
    const value = flag.variants[flag.defaultVariant];
    if (value === undefined) throw new ParseError(`flag ${key} has no variant ${flag.defaultVariant}`);
    const actual = value === null ? 'null' : Array.isArray(value) ? 'object' : typeof value;
    if (actual !== type) throw new TypeMismatchError(`flag ${key} is a ${actual}, not a ${type}`);
    return { value: value as T, variant: flag.defaultVariant, reason: StandardResolutionReasons.STATIC };
  }

  async resolveBooleanEvaluation(key: string, defaultValue: boolean, _context: EvaluationContext) {
    return this.resolve(key, defaultValue, 'boolean');
  }

  async resolveStringEvaluation(key: string, defaultValue: string, _context: EvaluationContext) {
    return this.resolve(key, defaultValue, 'string');
  }

  async resolveNumberEvaluation(key: string, defaultValue: number, _context: EvaluationContext) {
    return this.resolve(key, defaultValue, 'number');
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    defaultValue: T,
    _context: EvaluationContext,
  ) {
    return this.resolve(key, defaultValue, 'object');
  }

  private stopWatching() {
    this.watcher?.close();
    this.watcher = undefined;
  }

  async onClose(): Promise<void> {
    this.stopWatching();
    clearTimeout(this.debounce);
    clearInterval(this.pollTimer);
  }
}
