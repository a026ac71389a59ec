/**
 * XML 1.0 character rules shared by the spc.cfg writer and reader.
 */

/** True for a code point XML 1.0 allows in a document (the `Char` production). */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Index (UTF-16) of the first character XML 1.0 does not allow, or -1. Lone surrogates count as not allowed. */
export function findInvalidXmlChar(text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    const cp = text.codePointAt(i) ?? 0;
    // codePointAt returns a lone surrogate as itself, which isXmlChar refuses.
    if (!isXmlChar(cp)) return i;
    if (cp > 0xffff) i += 1;
  }
  return -1;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Written as references so that line-end normalisation and trimming readers keep them.
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** Escapes text for element content or an attribute; the caller has checked it with findInvalidXmlChar. */
export function escapeXmlText(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}
