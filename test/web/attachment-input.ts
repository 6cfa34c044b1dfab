import type { Page } from 'playwright-core';

/** A PNG of `width` × `height` drawn by the page itself (so it is a real image Chromium can decode). */
export function pngIn(page: Page, width: number, height: number): Promise<number[]> {
  return page.evaluate(
    async ([w, h]) => {
      const canvas = document.createElement('canvas');
      canvas.width = w as number;
      canvas.height = h as number;
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
      context.fillStyle = '#c0392b';
      context.fillRect(0, 0, w as number, h as number);
      context.fillStyle = '#ffffff';
      context.fillRect(10, 10, (w as number) / 2, (h as number) / 3);
      const blob = await new Promise<Blob>((resolve) =>
        canvas.toBlob((b) => resolve(b as Blob), 'image/png'),
      );
      return [...new Uint8Array(await blob.arrayBuffer())];
    },
    [width, height],
  );
}

/** Hands files to the composer the way a person's paste or drop does (a real DataTransfer). */
export function transfer(
  page: Page,
  event: 'paste' | 'drop',
  file: { name: string; type: string; bytes: number[] },
): Promise<void> {
  return page.evaluate(
    ({ event, file }) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(file.bytes)], file.name, { type: file.type }));
      const target = document.querySelector(
        event === 'paste' ? '.composer textarea' : '.composer',
      ) as Element;
      const init = { bubbles: true, cancelable: true };
      target.dispatchEvent(
        event === 'paste'
          ? new ClipboardEvent('paste', { ...init, clipboardData: data })
          : new DragEvent('drop', { ...init, dataTransfer: data }),
      );
    },
    { event, file },
  );
}
