// The "Prove my membership" panel: the member chooses what to prove and the campaign; the
// page opens their identity with a wallet signature, reads the published group, and a Web
// Worker (prover.worker.ts) computes the proof from the proving files of this page's own
// origin. The proof is offered as a file, a copyable text and a QR code. Nothing about the
// member leaves the browser while proving: the whole group is fetched, never the member's path.

import type { Address, PublicClient, WalletClient } from "viem";
import { proofsAbi } from "./abi";
import { identityMessage } from "./message";
import { t } from "../i18n";

export interface ProofsConfig {
  address: Address;
  depth: number;
  wasmUrl: string;
  zkeyUrl: string;
  groupsUrl: string;
  minGroup: number;
  relayUrl: string | null;
}

export interface ProofContext {
  account: Address;
  active: boolean;
  tier: number;
  reader: PublicClient;
  writer: () => WalletClient;
  tierName: (tier: number) => string;
}

interface PublishedGroup {
  group: number;
  size: number;
  root: string;
  leaves: string[];
}

type WorkerMessage =
  | { kind: "progress"; step: "group" | "files" | "proving" }
  | { kind: "done"; proof: Record<string, unknown>; seconds: number }
  | { kind: "error"; code: "not_in_group"; commitment: string }
  | { kind: "error"; code: "failed"; message: string };

const GROUPS = 4;
/** How long a gas-free registration signature stays valid. */
const REGISTRATION_LIFETIME_SECONDS = 600;
const identityRegistrationTypes = {
  IdentityRegistration: [
    { name: "member", type: "address" },
    { name: "identityCommitment", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  properties: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

export class ProofPanel {
  private context?: ProofContext;
  private readonly select = make("select", { id: "proof-group" });
  private readonly campaign = make("input", { id: "proof-campaign", autocomplete: "off", spellcheck: false });
  private readonly button = make("button", { type: "submit", id: "proof-make" });
  private readonly progress = make("progress", { id: "proof-progress", max: 4, value: 0, hidden: true });
  private readonly status = make("p", { id: "proof-status", className: "message" });
  private readonly warning = make("p", { id: "proof-warning", className: "message", hidden: true });
  private readonly register = make("button", { type: "button", id: "proof-register", className: "secondary", hidden: true });
  private readonly registerFree = make("button", { type: "button", id: "proof-register-free", hidden: true });
  private readonly result = make("div", { id: "proof-result", hidden: true });
  private pendingCommitment?: bigint;

  private readonly title = make("h2", { id: "proof-title" });
  private readonly intro = make("p");
  private readonly whatLabel = make("label", { htmlFor: "proof-group" });
  private readonly campaignLabel = make("label", { htmlFor: "proof-campaign" });
  private readonly campaignHint = make("p", { className: "hint", id: "proof-campaign-hint" });

  constructor(
    private readonly root: HTMLElement,
    private readonly config: ProofsConfig,
    private readonly chainId: number,
  ) {
    this.status.setAttribute("role", "status");
    this.warning.setAttribute("role", "alert");
    this.warning.dataset.tone = "error";
    this.campaign.required = true;
    this.campaign.setAttribute("aria-describedby", "proof-campaign-hint");
    const form = make(
      "form",
      { id: "proof-form" },
      this.whatLabel,
      this.select,
      this.campaignLabel,
      this.campaign,
      this.campaignHint,
      this.button,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.makeProof();
    });
    this.register.addEventListener("click", () => void this.registerIdentity());
    this.registerFree.addEventListener("click", () => void this.registerWithoutFee());
    root.replaceChildren(
      this.title,
      this.intro,
      form,
      this.progress,
      this.status,
      this.warning,
      this.registerFree,
      this.register,
      this.result,
    );
    root.setAttribute("aria-labelledby", "proof-title");
    this.relabel();
  }

  /** Write every fixed text in the page's current language (again after a language change;
   * messages already shown stay in the language they were written in). */
  relabel(): void {
    this.writeTexts();
    if (this.context) this.render(this.context);
  }

  private writeTexts(): void {
    const c = t();
    this.title.textContent = c.proofTitle;
    this.intro.textContent = c.proofIntro;
    this.whatLabel.textContent = c.proofWhatLabel;
    this.campaignLabel.textContent = c.proofCampaignLabel;
    this.campaignHint.textContent = c.proofCampaignHint;
    this.button.textContent = c.proofMake;
    this.register.textContent = c.proofRegisterOwn;
    this.registerFree.textContent = c.proofRegisterFree;
    this.progress.setAttribute("aria-label", c.proofTitle);
  }

  /** Show the panel for this member (only active members can prove anything). */
  render(context: ProofContext): void {
    this.context = context;
    this.writeTexts(); // the language may have been chosen after the panel was built
    this.root.hidden = !context.active;
    if (!context.active) return;
    const chosen = this.select.value;
    this.select.replaceChildren(
      ...Array.from({ length: Math.min(context.tier, GROUPS - 1) + 1 }, (_, group) =>
        make("option", { value: String(group) }, t().proofGroup(group, context.tierName(group))),
      ),
    );
    this.select.value = chosen && Number(chosen) <= context.tier ? chosen : String(Math.min(context.tier, GROUPS - 1));
  }

  private tell(text: string, tone: "info" | "success" | "error" = "info"): void {
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  }

  private step(value: number, text: string): void {
    this.progress.hidden = false;
    this.progress.value = value;
    this.tell(text);
  }

  private async makeProof(): Promise<void> {
    const context = this.context;
    if (!context?.active) return this.tell(t().proofNotActive, "error");
    const campaign = this.campaign.value.trim();
    if (!campaign) {
      this.campaign.focus();
      return this.tell(t().proofCampaignMissing, "error");
    }
    const group = Number(this.select.value);
    this.button.disabled = true;
    this.result.hidden = this.register.hidden = this.registerFree.hidden = this.warning.hidden = true;
    try {
      this.step(0, t().proofStepSign);
      const signature = await context.writer().signMessage({
        account: context.account,
        message: identityMessage(this.chainId, this.config.address),
      });
      this.step(1, t().proofStepGroup);
      const [published, scope] = await Promise.all([
        this.fetchGroup(group),
        context.reader.readContract({
          address: this.config.address,
          abi: proofsAbi,
          functionName: "campaignScope",
          args: [campaign],
        }),
      ]);
      if (published.size > 0 && published.size < this.config.minGroup) {
        this.warning.textContent = t().proofSmallGroup(published.size, this.config.minGroup);
        this.warning.hidden = false;
      }
      const answer = await this.prove({
        signature,
        leaves: published.leaves,
        group,
        scope: scope.toString(),
        depth: this.config.depth,
        wasmUrl: new URL(this.config.wasmUrl, document.baseURI).href,
        zkeyUrl: new URL(this.config.zkeyUrl, document.baseURI).href,
      });
      if (answer.kind === "error") {
        this.progress.hidden = true;
        if (answer.code === "not_in_group") {
          this.pendingCommitment = BigInt(answer.commitment);
          this.register.hidden = false;
          this.registerFree.hidden = !this.config.relayUrl;
          return this.tell(t().proofNotInGroup, "info");
        }
        return this.tell(t().proofFailed(answer.message), "error");
      }
      if (answer.kind !== "done") return;
      this.step(4, t().proofDone(answer.seconds.toFixed(1)));
      this.status.dataset.tone = "success";
      await this.offer({
        type: "memberledger-membership-proof",
        version: 1,
        chainId: this.chainId,
        proofs: this.config.address,
        group,
        campaign,
        proof: answer.proof,
      });
    } catch (error) {
      this.progress.hidden = true;
      this.tell(t().proofFailed(error instanceof Error ? error.message.split("\n")[0]! : String(error)), "error");
    } finally {
      this.button.disabled = false;
    }
  }

  private async fetchGroup(group: number): Promise<PublishedGroup> {
    const response = await fetch(`${this.config.groupsUrl}${group}.json`, { cache: "no-store" });
    if (!response.ok) throw new Error(`group ${group}: HTTP ${response.status}`);
    return (await response.json()) as PublishedGroup;
  }

  private prove(request: Record<string, unknown>): Promise<WorkerMessage> {
    const worker = new Worker(new URL("prover.js", document.baseURI), { type: "module" });
    return new Promise((resolve) => {
      worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
        const message = event.data;
        if (message.kind === "progress") {
          const steps = { group: [1, t().proofStepGroup], files: [2, t().proofStepFiles], proving: [3, t().proofStepProving] } as const;
          const [value, text] = steps[message.step];
          this.step(value, text);
          return;
        }
        worker.terminate();
        resolve(message);
      };
      worker.onerror = (event) => {
        worker.terminate();
        resolve({ kind: "error", code: "failed", message: event.message || "the prover stopped" });
      };
      worker.postMessage(request);
    });
  }

  private async offer(file: Record<string, unknown>): Promise<void> {
    const text = JSON.stringify(file);
    const blob = new Blob([JSON.stringify(file, null, 2)], { type: "application/json" });
    const link = make("a", {
      id: "proof-download",
      href: URL.createObjectURL(blob),
      download: `membership-proof-${String(file.campaign).replace(/[^A-Za-z0-9_-]+/g, "_")}.json`,
      className: "button",
    }, t().proofDownload);
    const area = make("textarea", { id: "proof-text", readOnly: true, rows: 6, value: text });
    const copied = make("span", { className: "hint", id: "proof-copied" });
    copied.setAttribute("role", "status");
    const copy = make("button", { type: "button", id: "proof-copy", className: "secondary" }, t().proofCopy);
    copy.addEventListener("click", async () => {
      area.select();
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        document.execCommand("copy");
      }
      copied.textContent = t().proofCopied;
    });
    // qrcode is CommonJS: bundled, its functions sit on the module's default export.
    const qrcode = await import("qrcode");
    const toDataURL = qrcode.toDataURL ?? (qrcode as unknown as { default: typeof qrcode }).default.toDataURL;
    const qr = make("img", {
      id: "proof-qr",
      alt: t().proofQrAlt,
      src: await toDataURL(text, { errorCorrectionLevel: "L", margin: 2, scale: 3 }),
    });
    this.result.replaceChildren(
      make("p", {}, link),
      make("label", { htmlFor: "proof-text" }, t().proofTextLabel),
      area,
      make("p", {}, copy, " ", copied),
      qr,
    );
    this.result.hidden = false;
  }

  private async registerIdentity(): Promise<void> {
    const context = this.context;
    if (!context || this.pendingCommitment === undefined) return;
    this.register.disabled = true;
    try {
      const hash = await context.writer().writeContract({
        address: this.config.address,
        abi: proofsAbi,
        functionName: "registerIdentity",
        args: [this.pendingCommitment],
        account: context.account,
        chain: null,
      });
      await context.reader.waitForTransactionReceipt({ hash });
      this.register.hidden = this.registerFree.hidden = true;
      this.tell(t().proofRegistered, "success");
    } catch (error) {
      this.tell(t().proofFailed(error instanceof Error ? error.message.split("\n")[0]! : String(error)), "error");
    } finally {
      this.register.disabled = false;
    }
  }

  /** Gas-free: the member signs an IdentityRegistration (EIP-712) and the relay submits it. */
  private async registerWithoutFee(): Promise<void> {
    const context = this.context;
    if (!context || this.pendingCommitment === undefined || !this.config.relayUrl) return;
    this.registerFree.disabled = true;
    try {
      const nonce = await context.reader.readContract({
        address: this.config.address,
        abi: proofsAbi,
        functionName: "nonces",
        args: [context.account],
      });
      const deadline = BigInt(Math.floor(Date.now() / 1000) + REGISTRATION_LIFETIME_SECONDS);
      const message = { member: context.account, identityCommitment: this.pendingCommitment, nonce, deadline };
      const signature = await context.writer().signTypedData({
        account: context.account,
        domain: { name: "MemberLedger MembershipProofs", version: "1", chainId: this.chainId, verifyingContract: this.config.address },
        types: identityRegistrationTypes,
        primaryType: "IdentityRegistration",
        message,
      });
      const response = await fetch(this.config.relayUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          member: context.account,
          identityCommitment: message.identityCommitment.toString(),
          nonce: nonce.toString(),
          deadline: deadline.toString(),
          signature,
        }),
      });
      const answer = (await response.json()) as { message?: string };
      if (!response.ok) throw new Error(answer.message ?? `HTTP ${response.status}`);
      this.register.hidden = this.registerFree.hidden = true;
      this.tell(t().proofRegistered, "success");
    } catch (error) {
      this.tell(t().proofFailed(error instanceof Error ? error.message.split("\n")[0]! : String(error)), "error");
    } finally {
      this.registerFree.disabled = false;
    }
  }
}
