// The staff dashboard (/admin): Sign-In with Ethereum through the staff member's wallet
// (personal_sign of the EIP-4361 message the server made), then the sections the roles they
// hold on chain open. Every POST carries the session's CSRF token; the session cookie itself
// is HttpOnly and never seen here.

import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { watchWallets, errorCode, USER_REJECTED, type Eip1193Provider } from "../wallet";
import { CATALOGUES, LANGUAGES, LANGUAGE_NAMES, preferredLanguage, type Lang, type Strings } from "./strings";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

interface Session {
  address: string;
  roles: string[];
  sections: string[];
  csrf: string;
}

class Refused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

let lang: Lang = preferredLanguage();
let s: Strings = CATALOGUES[lang];
let session: Session | null = null;
let provider: Eip1193Provider | null = null;
let chart: Chart | null = null;
const SECTIONS = ["overview", "health", "series", "members", "redemptions", "access_log"];
let seriesChart: Chart | null = null;
/** The member the registrar looked up last (id, else wallet), whom the actions are about. */
let shownMember: string | null = null;

interface Week {
  week: string;
  enrolled: Record<string, number>;
  credited: string;
  redeemed: string;
  consentGiven: Record<string, number>;
  consentWithdrawn: Record<string, number>;
}

const byId = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing`);
  return found as T;
};

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  if (className) made.className = className;
  return made;
}

async function api(path: string, method = "GET", body?: unknown): Promise<any> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session) headers["X-CSRF-Token"] = session.csrf;
  const answer = await fetch(`/admin/api/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Refused(String(data.error ?? "failed"));
  return data;
}

function say(text: string, tone: "error" | "success" = "error"): void {
  const notice = byId<HTMLParagraphElement>("notice");
  const message = byId<HTMLParagraphElement>("message");
  if (tone === "error") {
    notice.textContent = text;
    notice.hidden = !text;
    message.textContent = "";
  } else {
    notice.hidden = true;
    message.textContent = text;
    message.dataset.tone = tone;
  }
}

function fail(error: unknown): void {
  if (error instanceof Refused) {
    if (error.code === "signed_out" || error.code === "no_role") showSignedOut();
    say(s.refusals[error.code] ?? s.failed);
  } else if (errorCode(error) === USER_REJECTED) {
    say(s.rejected);
  } else {
    say(s.failed);
  }
}

function translate(): void {
  document.documentElement.lang = lang;
  document.title = s.title;
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n]")) {
    const value = (s as unknown as Record<string, unknown>)[node.dataset.i18n ?? ""];
    if (typeof value === "string") node.textContent = value;
  }
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n-attr]")) {
    const [attribute, key] = (node.dataset.i18nAttr ?? "").split(":");
    const value = (s as unknown as Record<string, unknown>)[key ?? ""];
    if (attribute && typeof value === "string") node.setAttribute(attribute, value);
  }
  const reason = byId<HTMLSelectElement>("member-reason");
  const chosen = reason.value;
  reason.replaceChildren(
    ...Object.entries(s.reasons).map(([code, words]) => {
      const option = element("option", words);
      option.value = code;
      return option;
    }),
  );
  if (chosen) reason.value = chosen;
  const tier = byId<HTMLSelectElement>("action-tier");
  const tierChosen = tier.value;
  tier.replaceChildren(
    ...["basic", "silver", "gold", "platinum"].map((name, number) => {
      const option = element("option", name);
      option.value = String(number);
      return option;
    }),
  );
  if (tierChosen) tier.value = tierChosen;
}

// ------------------------------------------------------------------ signing in and out

function showSignedOut(): void {
  session = null;
  byId("sign-in-panel").hidden = false;
  byId("sections").hidden = true;
  byId("staff").hidden = true;
  byId("sign-out").hidden = true;
  for (const name of SECTIONS) byId(name).hidden = true;
}

async function signIn(): Promise<void> {
  if (!provider) {
    say(s.noWallet);
    return;
  }
  const button = byId<HTMLButtonElement>("sign-in");
  button.disabled = true;
  try {
    const accounts = (await provider.request({ method: "eth_requestAccounts" })) as string[];
    const address = accounts[0];
    if (!address) throw new Refused("failed");
    const { message } = await api(`challenge?address=${encodeURIComponent(address)}`);
    const hex = `0x${[...new TextEncoder().encode(String(message))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    const signature = await provider.request({ method: "personal_sign", params: [hex, address] });
    session = (await api("sign-in", "POST", { message, signature })) as Session;
    say("", "success");
    await showSession();
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
}

async function signOut(): Promise<void> {
  try {
    await api("sign-out", "POST", {});
  } catch (error) {
    fail(error);
  }
  showSignedOut();
  byId<HTMLButtonElement>("sign-in").focus();
}

async function showSession(): Promise<void> {
  if (!session) return;
  byId("sign-in-panel").hidden = true;
  const staff = byId("staff");
  staff.textContent = s.signedInAs(session.address, session.roles.map((r) => s.roles[r] ?? r).join(", "));
  staff.hidden = false;
  byId("sign-out").hidden = false;
  const links = byId("section-links");
  links.replaceChildren(
    ...session.sections.map((name) => {
      const item = element("li");
      const link = element("a", s.sections[name] ?? name);
      link.href = `#${name}`;
      item.append(link);
      return item;
    }),
  );
  byId("sections").hidden = false;
  for (const name of SECTIONS) byId(name).hidden = !session.sections.includes(name);
  const loads: Promise<void>[] = [];
  if (session.sections.includes("overview")) loads.push(loadOverview());
  if (session.sections.includes("series")) loads.push(loadSeries());
  if (session.sections.includes("redemptions")) loads.push(loadRedemptions());
  if (session.sections.includes("access_log")) loads.push(loadAccessLog());
  await Promise.all(loads);
}

// ------------------------------------------------------------------ sections

function figureRow(label: string, value: string | number, key: string): HTMLTableRowElement {
  const row = element("tr");
  const head = element("th", label);
  head.scope = "row";
  const cell = element("td", String(value), "number");
  cell.dataset.figure = key;
  row.append(head, cell);
  return row;
}

async function loadOverview(): Promise<void> {
  try {
    const data = await api("overview");
    const rows: HTMLTableRowElement[] = [];
    for (const [status, n] of Object.entries<number>(data.byStatus)) rows.push(figureRow(s.statusRow(status), n, `status:${status}`));
    for (const [tier, n] of Object.entries<number>(data.byTier)) rows.push(figureRow(s.tierRow(tier), n, `tier:${tier}`));
    for (const [purpose, n] of Object.entries<number>(data.byConsent)) rows.push(figureRow(s.consentRow(purpose), n, `consent:${purpose}`));
    for (const [kind, n] of Object.entries<string>(data.points)) rows.push(figureRow(s.pointsRow(kind), n, `points:${kind}`));
    rows.push(figureRow(s.redemptionsWaiting, data.redemptionsWaiting, "redemptions:waiting"));
    byId("overview-table").querySelector("tbody")?.replaceChildren(...rows);
    drawTiers(data.byTier as Record<string, number>);
    const health = data.health;
    const list = byId("health-list");
    const pairs: [string, string][] = [
      [s.indexedBlock, String(health.indexedBlock)],
      [s.headBlock, String(health.headBlock)],
      [s.lag, String(health.lag)],
      [s.paused, health.paused ? s.yes : s.no],
      [s.relayerBalance, health.relayerBalanceWei === null ? s.none : ether(String(health.relayerBalanceWei))],
    ];
    list.replaceChildren(
      ...pairs.map(([term, value]) => {
        const group = element("div");
        group.append(element("dt", term), element("dd", value));
        return group;
      }),
    );
  } catch (error) {
    fail(error);
  }
}

function ether(wei: string): string {
  const value = BigInt(wei);
  const whole = value / 10n ** 18n;
  const part = (value % 10n ** 18n).toString().padStart(18, "0").slice(0, 4);
  return `${whole}.${part}`;
}

function drawTiers(byTier: Record<string, number>): void {
  const canvas = byId<HTMLCanvasElement>("tier-chart");
  const labels = Object.keys(byTier);
  const values = Object.values(byTier);
  if (chart) {
    chart.data.labels = labels;
    const set = chart.data.datasets[0];
    if (set) set.data = values;
    chart.update();
    return;
  }
  chart = new Chart(canvas, {
    type: "bar",
    data: { labels, datasets: [{ label: s.membersInTier, data: values, backgroundColor: "#1f5fa8" }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

async function loadSeries(): Promise<void> {
  try {
    const weeks = (await api("series")).weeks as Week[];
    const first = weeks[0];
    const tiers = first ? Object.keys(first.enrolled) : [];
    const purposes = first ? Object.keys(first.consentGiven) : [];
    const table = byId("series-table");
    const headings = [
      s.weekColumn,
      ...tiers.map((tier) => s.enrolledColumn(tier)),
      s.creditedColumn,
      s.redeemedColumn,
      ...purposes.map((p) => s.givenColumn(p)),
      ...purposes.map((p) => s.withdrawnColumn(p)),
    ];
    table.querySelector("thead tr")?.replaceChildren(
      ...headings.map((words) => {
        const head = element("th", words);
        head.scope = "col";
        return head;
      }),
    );
    table.querySelector("tbody")?.replaceChildren(
      ...weeks.map((w) => {
        const row = element("tr");
        const head = element("th", w.week);
        head.scope = "row";
        const cell = (value: string | number, key: string): HTMLTableCellElement => {
          const made = element("td", String(value), "number");
          made.dataset.figure = `${w.week}:${key}`;
          return made;
        };
        row.append(
          head,
          ...tiers.map((tier) => cell(w.enrolled[tier] ?? 0, `enrolled:${tier}`)),
          cell(w.credited, "credited"),
          cell(w.redeemed, "redeemed"),
          ...purposes.map((p) => cell(w.consentGiven[p] ?? 0, `given:${p}`)),
          ...purposes.map((p) => cell(w.consentWithdrawn[p] ?? 0, `withdrawn:${p}`)),
        );
        return row;
      }),
    );
    const datasets = tiers.map((tier, at) => ({
      label: tier,
      data: weeks.map((w) => w.enrolled[tier] ?? 0),
      backgroundColor: ["#6b7280", "#1f5fa8", "#b7791f", "#5b21b6"][at % 4],
    }));
    seriesChart?.destroy();
    seriesChart = new Chart(byId<HTMLCanvasElement>("series-chart"), {
      type: "bar",
      data: { labels: weeks.map((w) => w.week), datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  } catch (error) {
    fail(error);
  }
}

/** The personal-data fields an update may change (the server's `UPDATABLE_FIELDS`). */
const UPDATE_FIELDS = ["full_name", "email", "phone", "birth_date"] as const;

function lookUp(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  return showMember();
}

async function showMember(): Promise<void> {
  const form = byId<HTMLFormElement>("member-form");
  const query = (form.elements.namedItem("query") as HTMLInputElement).value;
  const reason = (form.elements.namedItem("reason") as HTMLSelectElement).value;
  const view = byId("member-view");
  try {
    const found = await api("member", "POST", { query, reason });
    const f = s.memberFields;
    const personal = found.personal ?? {};
    const pairs: [string, string][] = [
      [f.memberId ?? "", found.memberId ?? s.none],
      [f.wallet ?? "", found.wallet],
      [f.fullName ?? "", personal.full_name ?? s.none],
      [f.email ?? "", personal.email ?? s.none],
      [f.phone ?? "", personal.phone || s.none],
      [f.birthDate ?? "", personal.birth_date || s.none],
      [f.chainStatus ?? "", found.chain.status],
      [f.tier ?? "", String(found.chain.tier)],
      [f.balance ?? "", found.balance],
      [f.matches ?? "", found.chain.commitmentMatches === null ? s.none : found.chain.commitmentMatches ? s.yes : s.no],
    ];
    const groups = pairs.map(([term, value]) => {
      const group = element("div");
      group.append(element("dt", term), element("dd", value));
      return group;
    });
    const history = element("div");
    const events = element("ol");
    for (const item of found.history as { when: string; summary: string }[]) events.append(element("li", `${item.when} ${item.summary}`));
    history.append(element("dt", f.history ?? ""), element("dd"));
    history.lastElementChild?.append(events);
    view.replaceChildren(...groups, history);
    view.hidden = false;
    shownMember = found.memberId ?? found.wallet;
    byId("member-actions").hidden = found.chain.status !== "active" && found.chain.status !== "suspended";
    // Personal data can be updated only for a member with a vault record (shown to registrars).
    byId("update-fields").hidden = found.personal === null || found.erased;
    for (const name of UPDATE_FIELDS) byId<HTMLInputElement>(`update-${name}`).value = personal[name] ?? "";
    showMove(found);
    say("", "success");
    if (session?.sections.includes("access_log")) await loadAccessLog();
  } catch (error) {
    view.hidden = true;
    byId("member-actions").hidden = true;
    shownMember = null;
    fail(error);
  }
}

/** A membership with a vault record moves: the pending move (if any) and its buttons. */
function showMove(found: any): void {
  const move = found.move ?? {};
  byId("move-fields").hidden = found.vault === null || found.vault.status !== "enrolled";
  // Completed on chain by someone else (anyone may), but not yet followed by the points and
  // the vault: "Complete move" finishes it.
  const moved: string | null = move.movedTo ?? null;
  const pending: string | null = move.pending ?? moved;
  const ready = moved !== null || (pending !== null && Number(move.now) >= Number(move.executableAt));
  const note = byId("move-pending");
  note.hidden = pending === null;
  const when = new Date(Number(move.executableAt) * 1000).toISOString().replace(".000Z", "Z");
  note.textContent = pending === null ? "" : s.movePending(pending, when, ready);
  byId("move-new").hidden = pending !== null;
  byId("move-cancel").hidden = pending === null || moved !== null;
  byId("move-complete").hidden = !ready;
}

async function act(action: string): Promise<void> {
  const member = shownMember;
  if (!member || !session || !provider) return;
  const words = s.actionWords[action] ?? action;
  const newWallet = byId<HTMLInputElement>("move-wallet").value.trim();
  const question =
    action === "erase" ? s.confirmErase(member) : action === "move" ? s.confirmMove(member, newWallet) : s.confirmAction(words, member);
  if (!window.confirm(question)) return;
  const body: Record<string, unknown> = { action, query: member };
  if (action === "move") body.newWallet = newWallet;
  if (action === "tier") body.tier = Number(byId<HTMLSelectElement>("action-tier").value);
  if (action === "update") {
    body.changes = Object.fromEntries(UPDATE_FIELDS.map((name) => [name, byId<HTMLInputElement>(`update-${name}`).value]));
  }
  const buttons = [...byId("member-actions").querySelectorAll("button")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    // An erasure may take two transactions (the registry's erase, the points' forfeit), and
    // so may completing a move (the registry's completeMove, the points' carryOver).
    for (let step = 0; step < 2; step += 1) {
      const prepared = await api("action/prepare", "POST", body);
      const txHash = await provider.request({
        method: "eth_sendTransaction",
        params: [{ from: session.address, to: prepared.to, data: prepared.data }],
      });
      const done = await api("action/confirm", "POST", { ...body, txHash });
      if (!done.remains) break;
    }
    if (action.startsWith("move")) {
      byId<HTMLInputElement>("move-wallet").value = "";
      await showMember(); // the pending move, as the chain has it now
    }
    say(s.actionDone(words, member), "success");
    if (session.sections.includes("overview")) await loadOverview();
  } catch (error) {
    // A move refused may still have moved on (completed by someone else, the vault followed).
    if (action.startsWith("move")) await showMember();
    fail(error);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    if (action === "erase") {
      // The vault shreds first: whatever the chain's steps did, the data shown is gone.
      byId("member-view").replaceChildren();
      byId("member-view").hidden = true;
      byId("member-actions").hidden = true;
      shownMember = null;
    }
  }
}

async function loadRedemptions(): Promise<void> {
  try {
    const { waiting } = await api("redemptions");
    const body = byId("redemptions-table").querySelector("tbody");
    if (!body) return;
    if (waiting.length === 0) {
      const row = element("tr");
      const cell = element("td", s.nothingWaiting);
      cell.colSpan = 6;
      row.append(cell);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(
      ...waiting.map((r: { id: string; memberId: string | null; wallet: string; reward: string; points: string; when: string }) => {
        const row = element("tr");
        const member = r.memberId ?? r.wallet;
        const button = element("button", s.markFulfilled(r.id), "secondary");
        button.type = "button";
        button.addEventListener("click", () => void fulfil(r.id, member));
        const action = element("td");
        action.append(button);
        row.append(element("td", r.id), element("td", member), element("td", r.reward), element("td", r.points, "number"), element("td", r.when), action);
        return row;
      }),
    );
  } catch (error) {
    fail(error);
  }
}

async function fulfil(id: string, member: string): Promise<void> {
  if (!window.confirm(s.confirmFulfil(id, member))) return;
  try {
    await api("redemptions/fulfil", "POST", { ids: [id] });
    say(s.fulfilled(id), "success");
    await Promise.all([loadRedemptions(), loadOverview()]);
  } catch (error) {
    fail(error);
  }
}

async function loadAccessLog(): Promise<void> {
  try {
    const { entries } = await api("access-log");
    byId("access-table")
      .querySelector("tbody")
      ?.replaceChildren(
        ...entries.map((e: { viewed_at: string; staff: string; member_id: string; reason: string }) => {
          const row = element("tr");
          row.append(element("td", e.viewed_at), element("td", e.staff), element("td", e.member_id), element("td", s.reasons[e.reason] ?? e.reason));
          return row;
        }),
      );
  } catch (error) {
    fail(error);
  }
}

// ------------------------------------------------------------------ start

async function start(): Promise<void> {
  const select = byId<HTMLSelectElement>("language");
  select.replaceChildren(
    ...LANGUAGES.map((code) => {
      const option = element("option", LANGUAGE_NAMES[code]);
      option.value = code;
      return option;
    }),
  );
  select.value = lang;
  select.addEventListener("change", () => {
    lang = select.value as Lang;
    s = CATALOGUES[lang];
    translate();
    if (chart) {
      chart.destroy();
      chart = null;
    }
    void showSession();
  });
  translate();
  byId("sign-in").addEventListener("click", () => void signIn());
  byId("sign-out").addEventListener("click", () => void signOut());
  byId<HTMLFormElement>("member-form").addEventListener("submit", (event) => void lookUp(event));
  for (const button of byId("member-actions").querySelectorAll<HTMLButtonElement>("button[data-action]")) {
    button.addEventListener("click", () => void act(button.dataset.action ?? ""));
  }
  // Ready once the wallets had their time to announce themselves (EIP-6963).
  const walletsHeard = new Promise<void>((heard) =>
    watchWallets((wallets) => {
      provider = wallets[0]?.provider ?? null;
      heard();
    }),
  );
  try {
    session = (await api("session")) as Session;
    await showSession();
  } catch {
    showSignedOut();
  }
  await walletsHeard;
  document.body.dataset.ready = "true";
}

void start();
