import DOMPurify, { type DOMPurify as Purifier } from 'dompurify';
import { Marked } from 'marked';

/** Our own Marked, so that options set here never leak into a host page's `marked`. */
const marked = new Marked({ gfm: true, breaks: false });

/** Tags an agent's markdown may produce; everything else (scripts, forms, styles, frames) is dropped. */
const ALLOWED_TAGS = [
  'a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i',
  'input', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td',
  'th', 'thead', 'tr', 'ul',
];
const ALLOWED_ATTR = ['href', 'title', 'align', 'start', 'type', 'checked', 'disabled', 'class'];

/** Rendered messages, newest last; streaming re-renders the same texts many times. */
const cache = new Map<string, string>();
const CACHE_SIZE = 200;

let purifier: Purifier | undefined;

/** A DOMPurify of our own, so that its hook never touches a host page's DOMPurify. */
function purify(): Purifier {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  // Links leave the chat in a new tab rather than navigate the host page away.
  purifier.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
    }
  });
  return purifier;
}

/**
 * An agent's markdown as sanitised HTML: marked renders it, DOMPurify keeps only the tags and
 * attributes above and only http(s), mailto and in-page links. Nothing an agent writes can run script.
 */
export function renderMarkdown(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const html = marked.parse(text, { async: false });
  const clean = purify().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
  cache.set(text, clean);
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  return clean;
}
