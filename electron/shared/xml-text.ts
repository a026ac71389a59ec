/**
 * XML 1.0 text rules: allowed characters, the five predefined entities and character references.
 * The one table for the spc.cfg writer and reader, the product's app.config files and passwords
 * read back from them.
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

/** The predefined entities of XML 1.0, by name. */
export const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

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

/** Escapes text for element content or an attribute value; the caller has checked it with findInvalidXmlChar. */
export function escapeXmlText(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}

/**
 * Undoes XML escapes in a value read back from an XML config (the guide: `I^!?0&amp;163j` is
 * `I^!?0&163j`). One pass, so `&amp;lt;` becomes `&lt;`, not `<`; unknown entities stay as written.
 */
export function decodeXmlEscapes(text: string): string {
  return text.replace(/&(#x[0-9A-Fa-f]+|#\d+|[A-Za-z]+);/g, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return XML_ENTITIES[body] ?? whole;
  });
}
