// The page's DOM helpers: finding elements of index.html, showing and hiding panels, writing
// a message into a live region, and putting the catalogue's words into the page. Messages are
// kept as catalogue functions, so a change of language says them again in the new one.

import { t, type Catalogue, type Text } from "./i18n";

export type Tone = "info" | "success" | "error";

export const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
};

export function show(id: string, visible: boolean): void {
  element(id).hidden = !visible;
}

const told = new Map<string, { text: Text; tone: Tone }>();

/** Show `text` in the live region `id` (none: clear it). */
export function tell(id: string, text: Text | null, tone: Tone = "info"): void {
  const target = element(id);
  if (text === null) {
    told.delete(id);
    target.textContent = "";
    target.hidden = true;
    return;
  }
  told.set(id, { text, tone });
  target.textContent = text(t());
  target.dataset.tone = tone;
  target.hidden = false;
}

/** Every static text of index.html (data-i18n="key", data-i18n-attr="attr:key;...") and
 * every message shown, in the current language. */
export function translatePage(): void {
  const words = t() as unknown as Record<string, unknown>;
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n]")) {
    const value = words[node.dataset.i18n!];
    if (typeof value === "string") node.textContent = value;
  }
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr!.split(";")) {
      const [attribute, key] = pair.split(":");
      const value = words[key!];
      if (attribute && typeof value === "string") node.setAttribute(attribute, value);
    }
  }
  for (const [id, { text, tone }] of told) tell(id, text, tone);
}

/** Disable a panel's buttons and mark it busy while `work` runs; buttons disabled before
 * (rewards the member cannot afford) stay disabled. */
export async function busy<T>(section: string, work: () => Promise<T>): Promise<T | undefined> {
  const panel = element(section);
  const buttons = [...panel.querySelectorAll("button")].filter((button) => !button.disabled);
  panel.setAttribute("aria-busy", "true");
  buttons.forEach((button) => (button.disabled = true));
  try {
    return await work();
  } finally {
    buttons.forEach((button) => (button.disabled = false));
    panel.removeAttribute("aria-busy");
  }
}

/** A catalogue entry as a `Text`. */
export const say =
  <K extends keyof Catalogue>(key: K) =>
  (c: Catalogue): string =>
    c[key] as unknown as string;
