/** Keyboard-only driving: reach controls with Tab only, act with Space, Enter, arrows and typing. */
import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';

async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    if (!el) return '';
    const label = el.labels?.[0]?.textContent ?? el.getAttribute('aria-label') ?? el.textContent ?? '';
    return label.replace(/\s+/g, ' ').trim();
  });
}

/** Presses Tab until the focused control's label matches; fails if it is never reached. */
export async function tabTo(page: Page, name: RegExp): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (name.test(await focusedName(page))) {
      // Focus must be visible: the :focus-visible outline is drawn.
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
      expect(outline, `focus ring on ${name}`).not.toBe('none');
      return;
    }
  }
  throw new Error(`Tab never reached a control named ${name}`);
}

export async function typeInto(page: Page, name: RegExp, text: string, clear = false): Promise<void> {
  await tabTo(page, name);
  if (clear) {
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
  }
  await page.keyboard.type(text);
}

/** Enter in a text field submits the screen (Next). */
export async function enterNext(page: Page, expected: string | RegExp): Promise<void> {
  await page.keyboard.press('Enter');
  await expect(page.locator('main h1')).toHaveText(expected);
}
