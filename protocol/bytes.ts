// Byte-string equality, the one helper every layer uses (not constant-time: none of its callers
// compares a secret).
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
