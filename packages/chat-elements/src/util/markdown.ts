import {
  BLOCKQUOTE,
  CHECKBOX,
  CODE_BLOCK,
  CODE_FENCE,
  CODE_INLINE,
  DOCUMENT,
  EQUATION_BLOCK,
  EQUATION_INLINE,
  HEADING_1,
  HEADING_2,
  HEADING_3,
  HEADING_4,
  HEADING_5,
  HEADING_6,
  HREF,
  IMAGE,
  ITALIC_AST,
  ITALIC_UND,
  LANG,
  LINE_BREAK,
  LINK,
  LIST_ITEM,
  LIST_ORDERED,
  LIST_UNORDERED,
  PARAGRAPH,
  RAW_URL,
  RULE,
  SRC,
  START,
  CHECKED,
  STRIKE,
  STRONG_AST,
  STRONG_UND,
  TABLE,
  TABLE_CELL,
  TABLE_ROW,
  parser,
  parser_end,
  parser_write,
  type Any_Renderer,
  type Parser,
} from 'streaming-markdown';

// Agent text is untrusted. It is parsed by streaming-markdown, a maintained markdown parser made
// for streamed LLM output, and this renderer builds the DOM from its tokens with createElement
// and text nodes only: no HTML string is ever parsed, so a `<script>`, an `onerror=` or an
// `<svg>` in the text stays text. The only attribute whose value comes from the agent is a link's
// href, which must be an absolute http(s) or mailto URL. Images are shown as links, never
// loaded (no tracking pixels, no layout shifts). That is what DOMPurify would guarantee here,
// without a general HTML sanitiser in the bundle.

const TAGS: Record<number, string> = {
  [BLOCKQUOTE]: 'blockquote',
  [PARAGRAPH]: 'p',
  [LINE_BREAK]: 'br',
  [RULE]: 'hr',
  [HEADING_1]: 'h1',
  [HEADING_2]: 'h2',
  [HEADING_3]: 'h3',
  [HEADING_4]: 'h4',
  [HEADING_5]: 'h5',
  [HEADING_6]: 'h6',
  [ITALIC_AST]: 'em',
  [ITALIC_UND]: 'em',
  [STRONG_AST]: 'strong',
  [STRONG_UND]: 'strong',
  [STRIKE]: 's',
  [CODE_INLINE]: 'code',
  [EQUATION_INLINE]: 'code',
  [LINK]: 'a',
  [RAW_URL]: 'a',
  [IMAGE]: 'a',
  [LIST_UNORDERED]: 'ul',
  [LIST_ORDERED]: 'ol',
  [LIST_ITEM]: 'li',
  [TABLE]: 'table',
  [TABLE_ROW]: 'tr',
};

/** The href of a link an agent wrote, if it is one a click may follow: absolute http(s) or mailto. */
export function safeHref(raw: string): string | null {
  const trimmed = raw.trim();
  if (!/^(https?:\/\/|mailto:)/i.test(trimmed)) return null;
  try {
    const url = new URL(trimmed);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:' ? url.href : null;
  } catch {
    return null;
  }
}

interface RenderState {
  nodes: Element[];
  index: number;
}

function addToken(data: RenderState, type: number): void {
  if (type === DOCUMENT) return;
  let parent = data.nodes[data.index]!;
  let slot: Element;
  if (type === CODE_BLOCK || type === CODE_FENCE || type === EQUATION_BLOCK) {
    // A code block: a header with the language and a Copy button, then the code.
    const block = parent.appendChild(document.createElement('div'));
    block.className = 'code-block';
    const header = block.appendChild(document.createElement('div'));
    header.className = 'code-header';
    const lang = header.appendChild(document.createElement('span'));
    lang.className = 'code-lang';
    const copy = header.appendChild(document.createElement('button'));
    copy.type = 'button';
    copy.className = 'copy';
    copy.textContent = 'Copy';
    copy.setAttribute('aria-label', 'Copy code');
    parent = block.appendChild(document.createElement('pre'));
    slot = document.createElement('code');
  } else if (type === CHECKBOX) {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.disabled = true;
    slot = box;
  } else if (type === TABLE_ROW) {
    // The first row is the head; streaming-markdown's own renderer does the same.
    const section = parent.children.length === 0 ? 'thead' : 'tbody';
    parent =
      (parent.children.length > 1 ? parent.children[1] : null) ?? parent.appendChild(document.createElement(section));
    slot = document.createElement('tr');
  } else if (type === TABLE_CELL) {
    slot = document.createElement(parent.parentElement?.tagName === 'THEAD' ? 'th' : 'td');
  } else {
    slot = document.createElement(TAGS[type] ?? 'span');
    if (type === IMAGE) {
      slot.className = 'image-link';
      slot.textContent = 'Image: ';
    }
  }
  data.nodes[++data.index] = parent.appendChild(slot);
}

function endToken(data: RenderState): void {
  data.index = Math.max(0, data.index - 1);
}

function addText(data: RenderState, text: string): void {
  const node = data.nodes[data.index]!;
  const last = node.lastChild;
  if (last && last.nodeType === Node.TEXT_NODE) (last as Text).appendData(text);
  else node.appendChild(document.createTextNode(text));
}

function setAttr(data: RenderState, type: number, value: string): void {
  const node = data.nodes[data.index]!;
  switch (type) {
    case HREF:
    case SRC: {
      const href = safeHref(value);
      if (!href || node.tagName !== 'A') return;
      node.setAttribute('href', href);
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
      return;
    }
    case LANG: {
      const lang = value.trim().slice(0, 32);
      const label = node.closest('.code-block')?.querySelector('.code-lang');
      if (label) label.textContent = lang;
      return;
    }
    case START: {
      const start = Number.parseInt(value, 10);
      if (Number.isFinite(start)) node.setAttribute('start', String(start));
      return;
    }
    case CHECKED:
      if (node instanceof HTMLInputElement) node.checked = true;
      return;
  }
}

/**
 * Markdown rendered as it streams in: `write` the text so far (or the next part of it), `end` it
 * once the message is complete. Each write appends to the DOM rather than rebuilding it, so a
 * streamed answer grows without flicker.
 */
export class MarkdownView {
  /** The element that holds the rendered markdown. */
  readonly root: HTMLElement;
  private parser: Parser;
  private text = '';
  private ended = false;

  constructor() {
    this.root = document.createElement('div');
    this.root.className = 'markdown';
    this.parser = this.newParser();
  }

  private newParser(): Parser {
    const renderer: Any_Renderer = {
      data: { nodes: [this.root], index: 0 } satisfies RenderState,
      add_token: addToken,
      end_token: endToken,
      add_text: addText,
      set_attr: setAttr,
    };
    return parser(renderer);
  }

  /** Shows `text`: appends what follows the text shown so far, or starts over if it differs. */
  update(text: string, complete: boolean): void {
    if (text === this.text && (this.ended || !complete)) return;
    if (this.ended || !text.startsWith(this.text)) {
      this.root.replaceChildren();
      this.parser = this.newParser();
      this.text = '';
      this.ended = false;
    }
    const rest = text.slice(this.text.length);
    if (rest) parser_write(this.parser, rest);
    this.text = text;
    if (complete) {
      parser_end(this.parser);
      this.ended = true;
    }
  }
}

/** Renders a whole markdown text once, for messages that arrive complete. */
export function renderMarkdown(text: string): HTMLElement {
  const view = new MarkdownView();
  view.update(text, true);
  return view.root;
}
