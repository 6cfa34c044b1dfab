import type { ComponentChildren } from 'preact';

/**
 * Where a link may start in message text: `http://` or `https://` at a word boundary. Everything up to the next
 * white space is a candidate, and trailing punctuation that ends a sentence around a link ("see
 * https://x.example/a." or "(https://x.example/a)") is given back to the text.
 */
const CANDIDATE = /\bhttps?:\/\/[^\s<>"]+/giu;
const TRAILING = /[.,;:!?'"\u2019\u201d]+$/u;

/** A piece of message text: plain text, or an http(s) URL to show as a link. */
export type TextPart = { readonly text: string } | { readonly text: string; readonly href: string };

/**
 * Splits message text into text and links. Only absolute http and https URLs become links (what `URL` parses,
 * with that protocol); nothing else (`javascript:`, `data:`, a bare `www.`) does. The text itself is never
 * interpreted: each part is rendered as a text node, inside an `<a>` or not.
 */
export function linkParts(content: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const match of content.matchAll(CANDIDATE)) {
    let candidate = match[0];
    const start = match.index;
    candidate = candidate.replace(TRAILING, '');
    // A closing parenthesis belongs to the URL only when the URL opened one (Wikipedia's links do).
    while (candidate.endsWith(')') && count(candidate, '(') < count(candidate, ')'))
      candidate = candidate.slice(0, -1);
    const url = URL.parse(candidate);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') continue;
    if (start > at) parts.push({ text: content.slice(at, start) });
    parts.push({ text: candidate, href: url.href });
    at = start + candidate.length;
  }
  if (at < content.length) parts.push({ text: content.slice(at) });
  return parts;
}

const count = (text: string, character: string) => text.split(character).length - 1;

/** Message text with its http(s) links clickable: a new tab, no opener, no referrer; never HTML. */
export function LinkedText({ content }: { content: string }): ComponentChildren {
  return linkParts(content).map((part, index) =>
    'href' in part ? (
      <a key={index} href={part.href} target="_blank" rel="noopener noreferrer">
        {part.text}
      </a>
    ) : (
      part.text
    ),
  );
}
