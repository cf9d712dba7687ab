import type { ServiceKit } from './service-kit.js';

/** A framework-neutral answer the adapters write out unchanged. */
export interface ProbeResponse {
  status: number;
  contentType: string;
  body: string;
}

const json = 'application/json; charset=utf-8';

/** Liveness: the process answers, so the event loop turns. Never consults dependencies or draining. */
export function livenessResponse(): ProbeResponse {
  return {
    status: 200,
    contentType: json,
    body: JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
  };
}

/** Readiness: 200 only when running and every critical check is up; body names each check. */
export async function readinessResponse(kit: ServiceKit): Promise<ProbeResponse> {
  const report = await kit.readiness.report();
  return { status: report.status === 'ready' ? 200 : 503, contentType: json, body: JSON.stringify(report) };
}

/** Prometheus text exposition of the kit's registry. */
export async function metricsResponse(kit: ServiceKit): Promise<ProbeResponse> {
  return { status: 200, contentType: kit.registry.contentType, body: await kit.registry.metrics() };
}

/** The probe endpoints both adapters mount, by path. */
export const probeHandlers: Record<string, (kit: ServiceKit) => ProbeResponse | Promise<ProbeResponse>> = {
  '/healthz': livenessResponse,
  '/readyz': readinessResponse,
  '/metrics': metricsResponse,
};
