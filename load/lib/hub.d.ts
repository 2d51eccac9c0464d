// Types for the hub's test suite, which checks the k6 signing code against a real hub.
export function base64url(bytes: Uint8Array): string;
export function utf8(text: string): Uint8Array;
export function importSigningKey(privateJwk: Record<string, unknown>): Promise<CryptoKey>;
export function signRequest(
  key: CryptoKey,
  partner: { id: string; kid: string },
  request: { method: string; path: string; body?: string; idempotencyKey?: string },
): Promise<Record<string, string>>;
export function newKey(): string;
