// Drawing the page: the wallet buttons, the membership card, the consent form, the reward
// catalogue and the history list. Nothing here talks to the wallet or the chain.

import { Status } from "./abi";
import type { Membership } from "./chain";
import type { PageConfig, Reward } from "./config";
import { element, tell } from "./dom";
import type { HistoryEntry } from "./history";
import { say } from "./messages";
import type { Wallet } from "./wallet";
import { consentWords, STATUS_WORDS, tierName } from "./words";

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
    button.append(wallets.length > 1 ? `Connect with ${wallet.info.name}` : "Connect wallet");
    button.addEventListener("click", () => onConnect(wallet));
    list.append(button);
  }
}

export function renderAccount(account: string): void {
  const shown = element("account");
  shown.textContent = `Wallet ${account.slice(0, 6)}…${account.slice(-4)}`;
  shown.title = account;
  shown.hidden = false;
}

export function renderCard(config: PageConfig, { record, balance }: Membership): void {
  element("card-status").textContent = STATUS_WORDS[record.status];
  element("card").dataset.status = Status[record.status].toLowerCase();
  element("card-tier").textContent = tierName(config, record.tier);
  element("card-since").textContent = record.since
    ? new Date(record.since * 1000).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" })
    : "–";
  element("card-points").textContent = `${balance} points`;
  element("card-consent").textContent = consentWords(config, record.consent);
}

export function renderConsent(config: PageConfig, { record, policyVersion }: Membership): void {
  const options = element("consent-options");
  options.replaceChildren();
  for (const purpose of config.consentPurposes) {
    const id = `consent-${purpose.flag}`;
    const row = document.createElement("div");
    row.className = "option";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.value = String(purpose.flag);
    box.checked = (record.consent & purpose.flag) !== 0;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = purpose.words.charAt(0).toUpperCase() + purpose.words.slice(1);
    row.append(box, label);
    options.append(row);
  }
  element("consent-policy").textContent =
    `Saving means you agree to version ${policyVersion} of the privacy policy. You can change your mind at any time.`;
}

/** The flags the member ticked in the consent form. */
export function chosenConsent(): number {
  const boxes = [...element("consent-options").querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
  return boxes.reduce((sum, box) => (box.checked ? sum | Number(box.value) : sum), 0);
}

export function renderRewards(config: PageConfig, membership: Membership, onRedeem: (reward: Reward) => void): void {
  const list = element("rewards");
  list.replaceChildren();
  for (const reward of config.rewards) {
    const cost = membership.costs.get(reward.id) ?? 0n;
    if (cost === 0n) continue;
    const item = document.createElement("li");
    const text = document.createElement("span");
    text.className = "reward-name";
    text.textContent = `${reward.description.charAt(0).toUpperCase()}${reward.description.slice(1)}`;
    const price = document.createElement("span");
    price.className = "reward-cost";
    price.textContent = `${cost} points`;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Redeem";
    button.setAttribute("aria-label", `Redeem ${reward.description} for ${cost} points`);
    button.addEventListener("click", () => onRedeem(reward));
    item.append(text, price, button);
    list.append(item);
  }
  if (membership.record.status === Status.Suspended) tell("rewards-message", say.suspended, "error");
}

export function renderHistory(entries: HistoryEntry[]): void {
  const list = element("history");
  list.replaceChildren();
  for (const entry of [...entries].reverse()) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = entry.when.toISOString();
    time.textContent = entry.when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    const text = document.createElement("span");
    text.textContent = entry.text;
    item.append(time, text);
    list.append(item);
  }
  if (entries.length === 0) {
    const item = document.createElement("li");
    item.textContent = "Nothing yet.";
    list.append(item);
  }
}
