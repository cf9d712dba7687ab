import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { Logger } from 'pino';

export type SigningAlgorithm = 'ES256' | 'EdDSA';

/** The key that signs new tokens plus every public key the JWKS publishes. */
export interface SigningKeys {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  /** Published at /.well-known/jwks.json: the signing key first, then the extra keys. */
  jwks: { keys: JWK[] };
}

export interface SigningKeyOptions {
  privateKeyPem?: string | undefined;
  keyId?: string | undefined;
  /** JSON: `{"keys":[…]}` or `[…]` of public JWKs to publish alongside (rotation). */
  extraPublicKeys?: string | undefined;
  logger?: Pick<Logger, 'warn'>;
}

export class SigningKeyError extends Error {
  override name = 'SigningKeyError';
}

function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new SigningKeyError(
    `JWT_PRIVATE_KEY must be an EC P-256 or Ed25519 private key (got ${key.asymmetricKeyType ?? 'unknown'})`,
  );
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

function parseExtraKeys(json: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new SigningKeyError('JWT_PUBLIC_KEYS is not valid JSON');
  }
  const keys = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys))
    throw new SigningKeyError('JWT_PUBLIC_KEYS must be a JWK set or an array of JWKs');
  return keys.map((raw, index) => {
    const key = raw as JWK;
    if (
      typeof key !== 'object' ||
      key === null ||
      typeof key.kid !== 'string' ||
      typeof key.kty !== 'string'
    ) {
      throw new SigningKeyError(`JWT_PUBLIC_KEYS[${index}] needs "kty" and "kid"`);
    }
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) {
      throw new SigningKeyError(`JWT_PUBLIC_KEYS[${index}] contains private key material`);
    }
    return { ...key, use: key.use ?? 'sig' };
  });
}

/**
 * Loads the signing key from PEM, or generates an ES256 development key with a warning (tokens
 * then die with the process and differ between replicas — never do that in production).
 */
export async function loadSigningKeys(options: SigningKeyOptions): Promise<SigningKeys> {
  let privateKey: KeyObject;
  if (options.privateKeyPem) {
    try {
      privateKey = createPrivateKey(options.privateKeyPem.replaceAll('\\n', '\n'));
    } catch (cause) {
      throw new SigningKeyError(
        `JWT_PRIVATE_KEY is not a readable PEM private key: ${(cause as Error).message}`,
      );
    }
  } else {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    options.logger?.warn(
      'JWT_PRIVATE_KEY is not set: generated a throwaway ES256 development key; tokens will not survive a restart and differ per replica',
    );
  }
  const alg = algorithmOf(privateKey);
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  const kid = options.keyId ?? (await calculateJwkThumbprint(publicJwk));
  const signing: JWK = { ...publicJwk, kid, alg, use: 'sig' };
  const extra = options.extraPublicKeys ? parseExtraKeys(options.extraPublicKeys) : [];
  const keys = [signing, ...extra.filter((key) => key.kid !== kid)];
  return { kid, alg, privateKey, jwks: { keys } };
}
