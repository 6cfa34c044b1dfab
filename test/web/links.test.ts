import { describe, expect, it } from 'vitest';
import { linkParts } from '../../web/shared/links.js';

// Links in messages: http and https URLs only, the text around them kept as it was, nothing interpreted.
describe('linkParts', () => {
  it.each([
    ['no link here', [{ text: 'no link here' }]],
    [
      'see https://shop.example.com/orders/42?tab=1#x now',
      [
        { text: 'see ' },
        {
          text: 'https://shop.example.com/orders/42?tab=1#x',
          href: 'https://shop.example.com/orders/42?tab=1#x',
        },
        { text: ' now' },
      ],
    ],
    [
      'Done: http://a.example/b.',
      [{ text: 'Done: ' }, { text: 'http://a.example/b', href: 'http://a.example/b' }, { text: '.' }],
    ],
    [
      '(see https://en.wikipedia.org/wiki/Foo_(bar))',
      [
        { text: '(see ' },
        { text: 'https://en.wikipedia.org/wiki/Foo_(bar)', href: 'https://en.wikipedia.org/wiki/Foo_(bar)' },
        { text: ')' },
      ],
    ],
    [
      'two: https://a.example and https://b.example!',
      [
        { text: 'two: ' },
        { text: 'https://a.example', href: 'https://a.example/' },
        { text: ' and ' },
        { text: 'https://b.example', href: 'https://b.example/' },
        { text: '!' },
      ],
    ],
  ])('%s', (content, parts) => {
    expect(linkParts(content)).toEqual(parts);
  });

  it('makes nothing but http(s) a link', () => {
    for (const content of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'www.example.com',
      'ftp://files.example.com/a',
      'https://',
      '<a href="https://x.example">x</a>',
    ]) {
      const links = linkParts(content).filter((part) => 'href' in part);
      for (const link of links)
        expect(new URL((link as { href: string }).href).protocol).toMatch(/^https?:$/);
      expect(
        linkParts(content)
          .map((part) => part.text)
          .join(''),
      ).toBe(content);
    }
    expect(linkParts('javascript:alert(1)').some((part) => 'href' in part)).toBe(false);
  });

  it('keeps every character of the text, links or not', () => {
    const content = 'a https://x.example/ü?q="1" b <i>c</i> https://y.example/).';
    expect(
      linkParts(content)
        .map((part) => part.text)
        .join(''),
    ).toBe(content);
  });
});
