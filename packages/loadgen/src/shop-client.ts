import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { type JourneyName, type ResolvedOptions, type StepResponse, serviceOf } from './options.js';
import type { Outcome, Recorder, StatusKey } from './stats.js';

/** Thrown inside a journey when the run was aborted: the journey ends, nothing is counted as an error. */
export class RunAborted extends Error {
  constructor() {
    super('run aborted');
  }
}

export interface RequestSpec {
  journey: JourneyName | 'setup';
  /** Step name within the journey (`order` → recorded as `checkout.order`). */
  step: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
  token?: string | undefined;
  headers?: Record<string, string>;
  /** Statuses that are success for this step. */
  ok: readonly number[];
  /** Statuses whose default verdict is `expected` (e.g. 412 on an optimistic update the journey redoes). */
  expected?: readonly number[];
  /** The journey handles `expected` itself (no automatic retry of the same request). */
  noRetry?: boolean;
}

export interface StepReply {
  outcome: Outcome;
  status: StatusKey;
  // biome-ignore lint/suspicious/noExplicitAny: journeys read response fields they know are there
  body: any;
  headers: Record<string, string>;
}

/**
 * The public API over undici (keep-alive pools per origin): routes each path to its service's base URL,
 * times every request into the recorder, classifies it, and retries tolerated (`expected`) answers.
 */
export class ShopClient {
  private readonly agent: Agent;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly recorder: Recorder,
    private readonly runSignal: AbortSignal,
  ) {
    this.agent = new Agent({ connections: 256, keepAliveTimeout: 10_000 });
  }

  /** Sends `spec`, retrying `expected` answers up to `retry.attempts` times; the last answer is returned. */
  async send(spec: RequestSpec): Promise<StepReply> {
    let reply = await this.once(spec);
    for (let attempt = 0; attempt < this.options.retry.attempts; attempt++) {
      if (reply.outcome !== 'expected' || spec.noRetry) break;
      const retryAfter = Number(reply.headers['retry-after']);
      const delay = Number.isFinite(retryAfter) ? retryAfter * 1000 : this.options.retry.delayMs;
      await this.pause(Math.min(delay, this.options.retry.maxDelayMs));
      reply = await this.once(spec);
    }
    return reply;
  }

  /** Waits `ms` unless the run is aborted (then throws `RunAborted`). */
  async pause(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms, undefined, { signal: this.runSignal }).catch(() => undefined);
    if (this.runSignal.aborted) throw new RunAborted();
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async once(spec: RequestSpec): Promise<StepReply> {
    if (this.runSignal.aborted) throw new RunAborted();
    const url = this.options.services[serviceOf(spec.path)] + spec.path;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
    if (spec.token) headers.authorization = `Bearer ${spec.token}`;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    let status: StatusKey;
    let body: unknown;
    let responseHeaders: Record<string, string> = {};
    let detail = '';
    try {
      const res = await request(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        dispatcher: this.agent,
        signal: AbortSignal.any([this.runSignal, timeout]),
      });
      const text = await res.body.text();
      status = String(res.statusCode);
      responseHeaders = Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [
          k.toLowerCase(),
          Array.isArray(v) ? v.join(', ') : String(v),
        ]),
      );
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      if (!spec.ok.includes(res.statusCode)) {
        const problem = body as { code?: string; detail?: string; title?: string } | undefined;
        detail =
          [problem?.code, problem?.detail ?? problem?.title].filter(Boolean).join(': ') || text.slice(0, 200);
      }
    } catch (err) {
      if (this.runSignal.aborted) throw new RunAborted();
      status = timeout.aborted ? 'timeout' : 'network';
      detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const micros = (performance.now() - started) * 1000;
    const numeric = Number(status);
    const verdict: Outcome = spec.ok.includes(numeric)
      ? 'ok'
      : spec.expected?.includes(numeric)
        ? 'expected'
        : 'error';
    const step = `${spec.journey}.${spec.step}`;
    const response: StepResponse = {
      journey: spec.journey,
      step,
      method: spec.method,
      path: spec.path,
      status,
      headers: responseHeaders,
      body,
    };
    const outcome = this.options.classify ? this.options.classify(response, verdict) : verdict;
    this.recorder.record(step, status, outcome, micros, `${spec.method} ${spec.path}: ${detail}`);
    return { outcome, status, body, headers: responseHeaders };
  }
}
