import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwksCache,
  jwtVerify,
} from 'jose';
import { ServiceUnavailableError, UnauthorizedError } from '../errors/domain-errors.js';

/** The caller as the services see it after a valid access token. */
export interface AuthUser {
  id: string;
  role: string;
}

/** A verified access token: the caller plus every claim, for services that need more. */
export interface VerifiedToken extends AuthUser {
  claims: JWTPayload;
}

export interface JwtVerifierOptions {
  /** Where the user service publishes its keys (`${USER_SERVICE_URL}/.well-known/jwks.json`). */
  jwksUrl?: string | URL;
  /** A fixed key set instead of a URL (tests, or keys mounted from a Secret). */
  jwks?: JSONWebKeySet;
  issuer: string;
  audience: string;
  /** Pinned signature algorithms; anything else (none, HS*, RS*) is rejected. */
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /** Injectable clock for expiry checks. */
  now?: () => Date;
  /** How long a fetched key set is trusted before it is fetched again (default 10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Minimum time between re-fetches triggered by an unknown `kid` (default 30 s). */
  jwksCooldownMs?: number;
  /** Timeout of one JWKS fetch (default 2 s). */
  jwksTimeoutMs?: number;
  /**
   * How long a token that verified is taken as verified without checking its signature again (default
   * 60 s; 0 checks every time). Its expiry is still checked on every use. Keyed by the whole token, so
   * a token differing in any byte is verified afresh.
   */
  verifiedCacheMs?: number;
  /** How many verified tokens are remembered (default 5,000; the oldest is forgotten first). */
  verifiedCacheSize?: number;
}

/** Verifies Shop access tokens. */
export interface JwtVerifier {
  /** Resolves the caller or throws a 401 (bad token) / 503 (keys unreachable) DomainError. */
  verify(token: string): Promise<VerifiedToken>;
}

// A compact JWS is three base64url segments; anything longer than this is not one of ours and is
// rejected before any parsing or key lookup.
const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const bearerChallenge = (error: string, description: string) => ({
  'WWW-Authenticate': `Bearer error="${error}", error_description="${description}"`,
});

function invalidToken(detail: string, cause?: unknown): UnauthorizedError {
  return new UnauthorizedError({
    code: 'AUTH.INVALID_TOKEN',
    title: 'Invalid access token',
    detail,
    headers: bearerChallenge('invalid_token', detail),
    cause,
  });
}

// Failures to obtain the keys say nothing about the token, so they must not look like a bad token:
// the client should retry, not log the user out.
function isKeySourceFailure(err: unknown): boolean {
  if (err instanceof joseErrors.JWKSTimeout) return true;
  if (err instanceof joseErrors.JOSEError)
    return err.code === 'ERR_JOSE_GENERIC' || err.code === 'ERR_JWKS_INVALID';
  return err instanceof TypeError; // fetch() network errors
}

/**
 * Builds the key resolver. The remote set is jose's (cached, re-fetched on an unknown `kid` at most
 * once per cooldown); on top of it the last good key set is kept so an unreachable user service
 * does not lock everybody out when the cache ages.
 */
function keyResolver(options: JwtVerifierOptions): JWTVerifyGetKey {
  if (options.jwks) return createLocalJWKSet(options.jwks);
  if (!options.jwksUrl) throw new TypeError('createJwtVerifier needs jwksUrl or jwks');
  const cache: { uat?: number; jwks?: JSONWebKeySet } = {};
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    timeoutDuration: options.jwksTimeoutMs ?? 2_000,
    [jwksCache]: cache,
  } as Parameters<typeof createRemoteJWKSet>[1]);
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (isKeySourceFailure(err) && cache.jwks) return createLocalJWKSet(cache.jwks)(header, token);
      throw err;
    }
  };
}

/** Creates a verifier that pins algorithms and checks signature, `iss`, `aud`, `exp`, `sub` and `role`. */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const getKey = keyResolver(options);
  const algorithms = options.algorithms ?? ['ES256'];
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
    throw new TypeError('createJwtVerifier accepts asymmetric algorithms only');
  }
  const tolerance = options.clockToleranceSeconds ?? 5;
  const nowMs = () => (options.now ? options.now().getTime() : Date.now());
  // A client sends the same access token with every request of its session: its ECDSA signature is
  // checked once a minute instead of on every request (~6 % of the order service's CPU per checkout).
  const verified = new Map<string, { token: VerifiedToken; until: number; expiresMs: number }>();
  const cacheMs = options.verifiedCacheMs ?? 60_000;
  const cacheSize = options.verifiedCacheSize ?? 5_000;
  const remember = (token: string, result: VerifiedToken) => {
    if (cacheMs <= 0 || typeof result.claims.exp !== 'number') return;
    if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    verified.set(token, {
      token: result,
      until: nowMs() + cacheMs,
      expiresMs: (result.claims.exp + tolerance) * 1000,
    });
  };
  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit) {
        const now = nowMs();
        // Past either bound: verified afresh below (an expired token then gets its 401).
        if (now < hit.until && now < hit.expiresMs) return { ...hit.token };
        verified.delete(token);
      }
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
        throw invalidToken('The access token is malformed');
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: tolerance,
          ...(options.now ? { currentDate: options.now() } : {}),
        }));
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) {
          throw new UnauthorizedError({
            code: 'AUTH.TOKEN_EXPIRED',
            title: 'Access token expired',
            detail: 'The access token has expired',
            headers: bearerChallenge('invalid_token', 'The access token has expired'),
          });
        }
        if (isKeySourceFailure(err)) {
          throw new ServiceUnavailableError({
            code: 'AUTH.KEYS_UNAVAILABLE',
            detail: 'The signing keys could not be fetched; retry shortly',
            headers: { 'Retry-After': '5' },
            cause: err,
          });
        }
        throw invalidToken('The access token is invalid', err);
      }
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || typeof payload.role !== 'string') {
        throw invalidToken('The access token lacks a subject or role');
      }
      const result = { id: payload.sub, role: payload.role, claims: payload };
      remember(token, result);
      return { ...result };
    },
  };
}
