import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, SERVICES } from './renders.js';

/**
 * The service-to-service calls the code makes, read from each service's config schema: a service calls
 * another when its config reads that service's `<NAME>_SERVICE_URL` (the JWT verifiers read
 * USER_SERVICE_URL for the JWKS). Derived from the source so a NetworkPolicy path that no code uses
 * fails the policy test, and a new call without its path does too.
 */
export function serviceCalls(): Record<string, string[]> {
  const calls: Record<string, string[]> = {};
  for (const svc of SERVICES) {
    const source = readFileSync(path.join(repoRoot, 'services', svc, 'src/config.ts'), 'utf8');
    const callees = [...source.matchAll(/\b(USER|PRODUCT|ORDER|PAYMENT)_SERVICE_URL\b/g)]
      .map((m) => `${m[1]!.toLowerCase()}-service`)
      .filter((callee) => callee !== `${svc}-service`);
    calls[`${svc}-service`] = [...new Set(callees)].sort();
  }
  return calls;
}

/** Callers of each service (the inverse of serviceCalls). */
export function serviceCallers(): Record<string, string[]> {
  const calls = serviceCalls();
  const callers: Record<string, string[]> = Object.fromEntries(Object.keys(calls).map((s) => [s, []]));
  for (const [caller, callees] of Object.entries(calls)) for (const c of callees) callers[c]?.push(caller);
  for (const list of Object.values(callers)) list.sort();
  return callers;
}

/**
 * The gRPC calls the code makes, read the same way: a service calls another's `grpc` port when its config
 * reads `<NAME>_GRPC_URL` (the order service's USER_GRPC_URL: UserService.VerifyToken).
 */
export function grpcCalls(): Record<string, string[]> {
  const calls: Record<string, string[]> = {};
  for (const svc of SERVICES) {
    const source = readFileSync(path.join(repoRoot, 'services', svc, 'src/config.ts'), 'utf8');
    const callees = [...source.matchAll(/\b(USER|PRODUCT|ORDER|PAYMENT)_GRPC_URL\b/g)]
      .map((m) => `${m[1]!.toLowerCase()}-service`)
      .filter((callee) => callee !== `${svc}-service`);
    calls[`${svc}-service`] = [...new Set(callees)].sort();
  }
  return calls;
}

/** Callers of each service's gRPC port (the inverse of grpcCalls). */
export function grpcCallers(): Record<string, string[]> {
  const calls = grpcCalls();
  const callers: Record<string, string[]> = Object.fromEntries(Object.keys(calls).map((s) => [s, []]));
  for (const [caller, callees] of Object.entries(calls)) for (const c of callees) callers[c]?.push(caller);
  for (const list of Object.values(callers)) list.sort();
  return callers;
}
