/**
 * A fresh id for one user message: 32 hex digits. `crypto.getRandomValues` works in every
 * context, unlike `crypto.randomUUID`, which needs a secure one (a BFF on a LAN address is not).
 */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
