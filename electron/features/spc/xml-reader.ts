/**
 * A strict reader for flat XML documents such as spc.cfg: one root element whose children hold
 * text only. It accepts an optional BOM and XML declaration, comments and white space between
 * elements, the five predefined entities, numeric character references and CDATA sections. It
 * refuses everything else (DOCTYPE, processing instructions, unknown entities, attributes on
 * children, nested elements, text outside the root, unclosed or mismatched tags, characters XML 1.0
 * does not allow) with a UserError that names the line and column. Duplicate children are
 * reported by the caller, which knows the element names.
 */
import { UserError } from '../../shared/errors.js';
import { XML_ENTITIES, findInvalidXmlChar, isXmlChar } from '../../shared/xml-text.js';

export interface XmlPosition {
  readonly line: number;
  readonly column: number;
}

export interface FlatXmlElement extends XmlPosition {
  readonly name: string;
  /** Decoded text, line ends normalised to LF as XML requires. */
  readonly text: string;
}

export interface FlatXmlDocument {
  readonly root: FlatXmlElement & { readonly attributes: ReadonlyMap<string, string> };
  readonly children: readonly FlatXmlElement[];
}

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const SUPPORTED_ENCODINGS = new Set(['utf-8', 'utf8', 'utf-16', 'us-ascii']);

export interface FlatXmlOptions {
  /** Children whose text is secret: errors inside them never quote it. */
  readonly secretElements?: readonly string[];
}

/** Reads a flat XML document; `source` names the file in error messages. */
export function readFlatXml(input: string, source: string, options: FlatXmlOptions = {}): FlatXmlDocument {
  return new FlatXmlReader(input, source, options.secretElements ?? []).read();
}

class FlatXmlReader {
  private readonly text: string;
  private pos = 0;
  /** True while reading the text of a secret element. */
  private inSecret = false;

  constructor(
    input: string,
    private readonly source: string,
    private readonly secretElements: readonly string[],
  ) {
    // A byte order mark is tolerated; positions are counted without it.
    this.text = input.startsWith('\ufeff') ? input.slice(1) : input;
  }

  read(): FlatXmlDocument {
    const bad = findInvalidXmlChar(this.text);
    if (bad !== -1) {
      const cp = this.text.codePointAt(bad) ?? 0;
      throw this.error(`the character U+${cp.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, bad);
    }
    if (/^<\?xml[ \t\r\n?]/.test(this.text)) this.readDeclaration();
    this.skipMisc('before the root element');
    if (this.pos >= this.text.length) throw this.error('the file has no root element');
    if (this.text[this.pos] !== '<') throw this.error('text is not allowed before the root element');
    const root = this.readRoot();
    this.skipMisc('after the root element');
    if (this.pos < this.text.length) throw this.error('only comments and white space may follow the root element');
    return root;
  }

  private readDeclaration(): void {
    this.pos = 5;
    const attributes = this.readAttributes('the XML declaration', '?>');
    const names = [...attributes.keys()];
    const allowed = ['version', 'encoding', 'standalone'];
    const unknown = names.find((n) => !allowed.includes(n));
    if (unknown !== undefined) throw this.error(`unknown attribute "${unknown}" in the XML declaration`);
    if (names[0] !== 'version') throw this.error('the XML declaration must start with version="1.0"', 0);
    if (attributes.get('version') !== '1.0') throw this.error(`XML version "${attributes.get('version') ?? ''}" is not supported (only 1.0)`, 0);
    const encoding = attributes.get('encoding');
    if (encoding !== undefined && !SUPPORTED_ENCODINGS.has(encoding.toLowerCase())) {
      throw this.error(`the encoding "${encoding}" is not supported; save the file as UTF-8`, 0);
    }
    const standalone = attributes.get('standalone');
    if (standalone !== undefined && standalone !== 'yes' && standalone !== 'no') throw this.error('standalone must be "yes" or "no"', 0);
    this.expect('?>', 'the XML declaration');
  }

  private readRoot(): FlatXmlDocument {
    const start = this.pos;
    if (!this.text.startsWith('<', this.pos) || this.text.startsWith('</', this.pos)) throw this.error('expected the root element');
    this.pos += 1;
    const name = this.readName('an element name');
    const attributes = this.readAttributes(`<${name}>`, '>');
    const rootPos = this.position(start);
    const children: FlatXmlElement[] = [];
    if (this.text.startsWith('/>', this.pos)) {
      this.pos += 2;
      return { root: { name, text: '', attributes, ...rootPos }, children };
    }
    this.expect('>', `<${name}>`);
    for (;;) {
      this.skipMisc(`inside <${name}>`);
      if (this.pos >= this.text.length) throw this.error(`the file ends before </${name}>: <${name}> is not closed`);
      if (this.text.startsWith('</', this.pos)) {
        this.readEndTag(name);
        return { root: { name, text: '', attributes, ...rootPos }, children };
      }
      if (this.text[this.pos] !== '<') throw this.error(`text is not allowed directly inside <${name}>`);
      children.push(this.readChild(name));
    }
  }

  private readChild(parent: string): FlatXmlElement {
    const start = this.pos;
    this.pos += 1;
    const name = this.readName(`an element name inside <${parent}>`);
    const at = this.position(start);
    this.skipSpace();
    if (this.text.startsWith('/>', this.pos)) {
      this.pos += 2;
      return { name, text: '', ...at };
    }
    if (this.text[this.pos] !== '>') {
      if (this.pos >= this.text.length) throw this.error(`the file ends inside <${name}>`);
      throw this.error(`attributes are not allowed on <${name}>`);
    }
    this.pos += 1;
    this.inSecret = this.secretElements.includes(name);
    let value = '';
    for (;;) {
      if (this.pos >= this.text.length) throw this.error(`the file ends before </${name}>: <${name}> is not closed`, start);
      const c = this.text[this.pos];
      if (this.text.startsWith('</', this.pos)) {
        this.inSecret = false;
        this.readEndTag(name);
        return { name, text: value, ...at };
      }
      if (this.text.startsWith('<!--', this.pos)) {
        this.readComment();
      } else if (this.text.startsWith('<![CDATA[', this.pos)) {
        const end = this.text.indexOf(']]>', this.pos + 9);
        if (end === -1) throw this.error('the CDATA section is not closed (]]>)');
        value += normaliseLineEnds(this.text.slice(this.pos + 9, end));
        this.pos = end + 3;
      } else if (c === '<') {
        throw this.error(`<${name}> holds text only; found another element inside it (is a </${name}> missing, or should < be written &lt;?)`);
      } else if (c === '&') {
        value += this.readReference();
      } else {
        const next = this.text.slice(this.pos).search(/[<&]/);
        const end = next === -1 ? this.text.length : this.pos + next;
        const chunk = this.text.slice(this.pos, end);
        const bad = chunk.indexOf(']]>');
        if (bad !== -1) throw this.error('"]]>" is not allowed in text; write it as ]]&gt;', this.pos + bad);
        value += normaliseLineEnds(chunk);
        this.pos = end;
      }
    }
  }

  private readEndTag(expected: string): void {
    const start = this.pos;
    this.pos += 2;
    const name = this.readName('an element name after </');
    if (name !== expected) throw this.error(`</${name}> does not match <${expected}>`, start);
    this.skipSpace();
    this.expect('>', `</${name}>`);
  }

  private readAttributes(where: string, terminator: string): Map<string, string> {
    const attributes = new Map<string, string>();
    for (;;) {
      const hadSpace = this.skipSpace();
      if (this.pos >= this.text.length) throw this.error(`the file ends inside ${where}`);
      if (this.text.startsWith(terminator, this.pos) || this.text.startsWith('/>', this.pos)) return attributes;
      if (!hadSpace) throw this.error(`white space is needed before an attribute in ${where}`);
      const nameAt = this.pos;
      const name = this.readName(`an attribute name in ${where}`);
      if (attributes.has(name)) throw this.error(`the attribute "${name}" appears twice in ${where}`, nameAt);
      this.skipSpace();
      this.expect('=', `the attribute "${name}"`);
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") throw this.error(`the value of "${name}" must be in quotes`);
      this.pos += 1;
      let value = '';
      for (;;) {
        const c = this.text[this.pos];
        if (c === undefined) throw this.error(`the file ends inside the value of "${name}"`);
        if (c === quote) break;
        if (c === '<') throw this.error(`"<" is not allowed in the value of "${name}"; write it as &lt;`);
        if (c === '&') {
          value += this.readReference();
        } else {
          // XML attribute value normalisation: a line end (CRLF counts as one) or a tab becomes a space.
          if (!(c === '\r' && this.text[this.pos + 1] === '\n')) value += c === '\t' || c === '\n' || c === '\r' ? ' ' : c;
          this.pos += 1;
        }
      }
      this.pos += 1;
      attributes.set(name, value);
    }
  }

  private readReference(): string {
    const start = this.pos;
    const match = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z_][A-Za-z0-9_.-]*);/y;
    match.lastIndex = this.pos;
    const m = match.exec(this.text);
    if (!m || m[1] === undefined) throw this.error('"&" must start an entity such as &amp; (write a plain & as &amp;)', start);
    const body = m[1];
    this.pos = start + m[0].length;
    // Inside a secret the reference itself is part of the secret: say where, not what.
    const shown = this.inSecret ? 'a reference in a secret value (not shown)' : `&${body};`;
    if (body.startsWith('#')) {
      const cp = body.startsWith('#x') ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (!Number.isSafeInteger(cp) || !isXmlChar(cp)) throw this.error(`${shown} names a character XML does not allow`, start);
      return String.fromCodePoint(cp);
    }
    const value = XML_ENTITIES[body];
    if (value === undefined) throw this.error(`${shown} is not a known entity (only &amp; &lt; &gt; &quot; &apos; and &#...; are allowed)`, start);
    return value;
  }

  /** Skips white space and comments; refuses anything else that is not an element. */
  private skipMisc(where: string): void {
    for (;;) {
      this.skipSpace();
      if (this.text.startsWith('<!--', this.pos)) {
        this.readComment();
      } else if (this.text.startsWith('<?', this.pos)) {
        throw this.error(/^<\?xml[ \t\r\n?]/.test(this.text.slice(this.pos, this.pos + 6)) ? 'the XML declaration must be at the very start of the file' : `processing instructions are not allowed ${where}`);
      } else if (this.text.startsWith('<!', this.pos)) {
        throw this.error(this.text.startsWith('<!DOCTYPE', this.pos) ? 'a DOCTYPE is not allowed' : `unexpected "<!" ${where}`);
      } else {
        return;
      }
    }
  }

  private readComment(): void {
    const start = this.pos;
    const end = this.text.indexOf('-->', start + 4);
    if (end === -1) throw this.error('the comment is not closed (-->)', start);
    const inner = this.text.indexOf('--', start + 4);
    if (inner < end || (end > start + 4 && this.text[end - 1] === '-')) throw this.error('"--" is not allowed inside a comment', inner < end ? inner : end - 1);
    this.pos = end + 3;
  }

  private readName(what: string): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.text);
    if (!m) throw this.error(this.pos >= this.text.length ? `the file ends where ${what} should be` : `expected ${what}`);
    this.pos += m[0].length;
    return m[0];
  }

  private skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos] ?? '')) this.pos += 1;
    return this.pos > start;
  }

  private expect(token: string, where: string): void {
    if (!this.text.startsWith(token, this.pos)) {
      throw this.error(this.pos >= this.text.length ? `the file ends inside ${where}` : `expected "${token}" in ${where}`);
    }
    this.pos += token.length;
  }

  private position(index: number): XmlPosition {
    const lines = this.text.slice(0, index).split(/\r\n|\r|\n/);
    return { line: lines.length, column: [...(lines[lines.length - 1] ?? '')].length + 1 };
  }

  private error(message: string, index = this.pos): UserError {
    const { line, column } = this.position(Math.min(index, this.text.length));
    return new UserError('invalid-input', `${this.source}, line ${line}, column ${column}: ${message}.`, 'Correct the file (it must be well-formed XML in the vendor\'s spc.cfg format) and try again.', {
      line,
      column,
    });
  }
}

function normaliseLineEnds(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
