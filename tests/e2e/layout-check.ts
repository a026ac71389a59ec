/** The screen-size check: what overflows the window or is cut off (tests/e2e/screen-sizes.spec.ts). */
import type { Page } from '@playwright/test';

/** What overflows or is cut off on the page now (empty when it fits). */
export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const name = (el: Element): string => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    if (document.documentElement.scrollWidth > vw) out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${vw})`);
    if (document.documentElement.scrollHeight > vh) out.push(`the page scrolls down (${document.documentElement.scrollHeight} > ${vh}); only <main> may`);
    for (const el of document.querySelectorAll('.app *')) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      // Inside a closed <details> nothing is shown; inside a box that scrolls, the box is checked.
      if (el.closest('details:not([open]) > :not(summary)')) continue;
      if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) out.push(`${name(el)} is cut or scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
      if (r.right > vw + 0.5) out.push(`${name(el)} sticks out of the window on the right (${Math.round(r.right)} > ${vw})`);
    }
    for (const b of document.querySelectorAll('.bar button')) {
      const r = b.getBoundingClientRect();
      if (r.bottom > vh + 0.5 || r.right > vw + 0.5 || r.top < 0) out.push(`the ${b.textContent?.trim()} button is not wholly inside the window`);
    }
    return out;
  });
}
