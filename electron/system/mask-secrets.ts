/** Replaces every known secret in `text` with `***` (longest first, so a secret containing another is fully masked). */
export function maskSecrets(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets || secrets.length === 0 || text === '') return text;
  const ordered = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  let masked = text;
  for (const secret of ordered) masked = masked.split(secret).join('***');
  return masked;
}
