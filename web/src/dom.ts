// The page's DOM helpers: finding elements of index.html, showing and hiding panels, and
// writing a message into a live region.

export type Tone = "info" | "success" | "error";

export const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
};

export function show(id: string, visible: boolean): void {
  element(id).hidden = !visible;
}

export function tell(id: string, text: string, tone: Tone = "info"): void {
  const target = element(id);
  target.textContent = text;
  target.dataset.tone = tone;
  target.hidden = text === "";
}

/** Disable a panel's buttons and mark it busy while `work` runs. */
export async function busy<T>(section: string, work: () => Promise<T>): Promise<T | undefined> {
  const panel = element(section);
  const buttons = [...panel.querySelectorAll("button")];
  panel.setAttribute("aria-busy", "true");
  buttons.forEach((button) => (button.disabled = true));
  try {
    return await work();
  } finally {
    buttons.forEach((button) => (button.disabled = false));
    panel.removeAttribute("aria-busy");
  }
}
