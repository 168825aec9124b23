// Drawing the page: the programme's frame, the wallet buttons, the membership card, the
// consent form, the reward catalogue and the history list, in the current language.
// Nothing here talks to the wallet or the chain.

import { Status } from "./abi";
import type { Membership } from "./chain";
import type { PageConfig, Reward } from "./config";
import { element } from "./dom";
import type { HistoryEntry } from "./history";
import { language, LANGUAGE_NAMES, LANGUAGES, t, type Lang } from "./i18n";
import type { Wallet } from "./wallet";
import { consentWords, programmeName, purposeWord, rewardName, statusWord, tierName } from "./words";

/** The programme's name, logo, footer and the language switch. */
export function renderFrame(config: PageConfig, onLanguage: (lang: Lang) => void): void {
  const { programme } = config;
  const name = programmeName(config);
  document.title = t().documentTitle(name);
  element("programme-name").textContent = name;
  const logo = element<HTMLImageElement>("programme-logo");
  if (programme.logoUrl) {
    logo.src = programme.logoUrl;
    logo.alt = t().logoAlt(name);
    logo.hidden = false;
  }
  element("footer-operator").textContent = programme.operator;
  const email = element<HTMLAnchorElement>("footer-email");
  email.href = `mailto:${programme.contactEmail}`;
  email.textContent = programme.contactEmail;
  for (const id of ["footer-policy", "policy-link"]) element<HTMLAnchorElement>(id).href = programme.privacyPolicyUrl;
  const contact = element<HTMLAnchorElement>("footer-contact");
  if (programme.contactUrl) {
    contact.href = programme.contactUrl;
    contact.hidden = false;
  }
  const select = element<HTMLSelectElement>("language");
  if (select.options.length === 0) {
    for (const lang of LANGUAGES) {
      const option = document.createElement("option");
      option.value = lang;
      option.lang = lang;
      option.textContent = LANGUAGE_NAMES[lang];
      select.append(option);
    }
    select.addEventListener("change", () => onLanguage(select.value as Lang));
  }
  select.value = language();
}

export function renderWallets(wallets: Wallet[], onConnect: (wallet: Wallet) => void): void {
  const list = element("wallet-list");
  list.replaceChildren();
  for (const wallet of wallets) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "wallet";
    if (wallet.info.icon.startsWith("data:image/")) {
      const icon = document.createElement("img");
      icon.src = wallet.info.icon;
      icon.alt = "";
      icon.width = icon.height = 24;
      button.append(icon);
    }
    button.append(wallets.length > 1 ? t().connectWith(wallet.info.name) : t().connectWallet);
    button.addEventListener("click", () => onConnect(wallet));
    list.append(button);
  }
}

export function renderAccount(account: string): void {
  const shown = element("account");
  shown.textContent = t().account(`${account.slice(0, 6)}…${account.slice(-4)}`);
  shown.title = account;
  shown.hidden = false;
}

export function renderCard(config: PageConfig, { record, balance }: Membership): void {
  element("card-status").textContent = statusWord(record.status);
  element("card").dataset.status = Status[record.status].toLowerCase();
  element("card-tier").textContent = tierName(config, record.tier);
  element("card-since").textContent = record.since
    ? new Date(record.since * 1000).toLocaleDateString(language(), { year: "numeric", month: "long", day: "numeric" })
    : "–";
  element("card-points").textContent = t().points(balance);
  element("card-consent").textContent = consentWords(config, record.consent);
}

export function renderConsent(config: PageConfig, { record, policyVersion }: Membership, keepChoices: boolean): void {
  const options = element("consent-options");
  const chosen = keepChoices ? chosenConsent() : record.consent;
  options.replaceChildren();
  for (const purpose of config.consentPurposes) {
    const id = `consent-${purpose.flag}`;
    const row = document.createElement("div");
    row.className = "option";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.value = String(purpose.flag);
    box.checked = (chosen & purpose.flag) !== 0;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = t().capitalise(purposeWord(config, purpose.flag));
    row.append(box, label);
    options.append(row);
  }
  element("consent-policy").textContent = t().consentPolicy(policyVersion);
}

/** The flags the member ticked in the consent form. */
export function chosenConsent(): number {
  const boxes = [...element("consent-options").querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
  return boxes.reduce((sum, box) => (box.checked ? sum | Number(box.value) : sum), 0);
}

/** How a member pays for a redemption's network fee: the relay ("relay") or their wallet. */
export type PaidBy = "relay" | "own";

/** The catalogue: each reward offers "Redeem without a fee" (a signature the relay sends,
 * when the programme runs one) beside "Redeem with my wallet". A reward the member cannot
 * afford has its buttons disabled and says how many points are missing. */
export function renderRewards(
  config: PageConfig,
  membership: Membership,
  onRedeem: (reward: Reward, paidBy: PaidBy) => void,
): void {
  const list = element("rewards");
  list.replaceChildren();
  const ways: PaidBy[] = config.redeemRelayUrl ? ["relay", "own"] : ["own"];
  for (const reward of config.rewards) {
    const cost = membership.costs.get(reward.id) ?? 0n;
    if (cost === 0n) continue;
    const name = rewardName(reward);
    const item = document.createElement("li");
    const text = document.createElement("span");
    text.className = "reward-name";
    text.textContent = t().capitalise(name);
    const price = document.createElement("span");
    price.className = "reward-cost";
    price.textContent = t().points(cost);
    const actions = document.createElement("div");
    actions.className = "reward-actions";
    const missing = membership.balance < cost ? `reward-missing-${reward.id}` : undefined;
    for (const paidBy of ways) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = paidBy === "own" && ways.length > 1 ? "secondary" : "";
      button.dataset.paidBy = paidBy;
      button.textContent = paidBy === "relay" ? t().redeemFree : t().redeemOwn;
      button.setAttribute("aria-label", (paidBy === "relay" ? t().redeemFreeLabel : t().redeemOwnLabel)(name, cost));
      button.addEventListener("click", () => onRedeem(reward, paidBy));
      if (missing) {
        button.disabled = true;
        button.setAttribute("aria-describedby", missing);
      }
      actions.append(button);
    }
    item.append(text, price, actions);
    if (missing) {
      const note = document.createElement("span");
      note.className = "reward-missing";
      note.id = missing;
      note.textContent = t().pointsMissing(cost - membership.balance);
      item.append(note);
    }
    list.append(item);
  }
}

export function renderHistory(entries: HistoryEntry[]): void {
  const list = element("history");
  list.replaceChildren();
  for (const entry of [...entries].reverse()) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = entry.when.toISOString();
    time.textContent = entry.when.toLocaleString(language(), { dateStyle: "medium", timeStyle: "short" });
    const text = document.createElement("span");
    text.textContent = entry.text;
    item.append(time, text);
    list.append(item);
  }
  if (entries.length === 0) {
    const item = document.createElement("li");
    item.textContent = t().historyEmpty;
    list.append(item);
  }
}
