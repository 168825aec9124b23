// The member page: connect a wallet, show the membership card, change consent (own
// transaction or gas-free through the relay), redeem rewards, read the history and check
// the member's data against the on-chain commitment, in the member's language.
//
// This file wires the parts together; each job lives in its own module: wallet discovery
// (wallet.ts) and the wallet's network (network.ts), chain reads (chain.ts), history
// (history.ts), the relay client (relay.ts), words (i18n.ts, words.ts) and drawing the page
// (view.ts, dom.ts).

import { getAddress, type Address, type Chain, type Hex, type PublicClient, type WalletClient } from "viem";

import { pointsAbi, registryAbi, Status } from "./abi";
import { chainReader, confirmed, programmeChain, readMembership, type Membership } from "./chain";
import { loadConfig, type PageConfig, type Reward } from "./config";
import { busy, element, say, show, tell, translatePage, type Tone } from "./dom";
import { chainHistory, operatorHistory, tellHistory, withFallback, type HistorySource, type ProgrammeEvent } from "./history";
import { preferredLanguage, setLanguage, t, type Catalogue, type Lang, type Text } from "./i18n";
import { explain } from "./messages";
import { switchToProgrammeChain, walletChainId, walletClient } from "./network";
import { ProofPanel } from "./proofs/panel";
import { relayConsent, relayRedemption, type RelayOutcome } from "./relay";
import {
  chosenConsent,
  renderAccount,
  renderCard,
  renderConsent,
  renderFrame,
  renderHistory,
  renderRewards,
  renderWallets,
  type PaidBy,
} from "./view";
import { watchWallets, type Wallet } from "./wallet";
import { consentWords, rewardName, tierName } from "./words";

const LANGUAGE_KEY = "memberledger.language";

class MemberPage {
  private wallet?: Wallet;
  private wallets: Wallet[] = [];
  private account?: Address;
  private membership?: Membership;
  private events?: ProgrammeEvent[];
  private generation = 0;
  private listening = false;
  private readonly chain: Chain;
  private readonly reader: PublicClient;
  private readonly history: HistorySource;
  private readonly proofs?: ProofPanel;

  constructor(private readonly config: PageConfig) {
    if (config.proofs) this.proofs = new ProofPanel(element("proof-panel"), config.proofs, config.chainId);
    this.chain = programmeChain(config);
    this.reader = chainReader(this.chain, config.rpcUrl);
    const chain = chainHistory(this.reader, config);
    this.history = config.historyUrl ? withFallback(operatorHistory(config.historyUrl, chain), chain) : chain;
  }

  // ---------------------------------------------------------------- language

  private changeLanguage(lang: Lang): void {
    setLanguage(lang);
    try {
      window.localStorage.setItem(LANGUAGE_KEY, lang);
    } catch {
      // storage may be switched off; the choice then lasts for this visit
    }
    translatePage();
    renderFrame(this.config, (next) => this.changeLanguage(next));
    this.proofs?.relabel();
    if (!this.account) renderWallets(this.wallets, (wallet) => void this.connect(wallet));
    else renderAccount(this.account);
    element("network-text").textContent = t().networkText(this.config.chainName);
    if (this.membership) {
      renderCard(this.config, this.membership);
      renderConsent(this.config, this.membership, true);
      renderRewards(this.config, this.membership, (reward, paidBy) => void this.redeem(reward, paidBy));
    }
    if (this.events && this.account) renderHistory(tellHistory(this.config, this.events, this.account));
  }

  // ---------------------------------------------------------------- wallet and network

  start(ready: () => void): void {
    let saved: string | null = null;
    try {
      saved = window.localStorage.getItem(LANGUAGE_KEY);
    } catch {
      saved = null;
    }
    setLanguage(preferredLanguage(saved, navigator.languages ?? [navigator.language]));
    translatePage();
    renderFrame(this.config, (lang) => this.changeLanguage(lang));
    element("network-text").textContent = t().networkText(this.config.chainName);
    element("switch-network").addEventListener("click", () => void this.switchNetwork());
    element("watch-asset").addEventListener("click", () => void this.watchAsset());
    element<HTMLFormElement>("consent-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const mode = (event.submitter as HTMLButtonElement | null)?.value === "own" ? "own" : "relay";
      void this.saveConsent(mode);
    });
    element<HTMLFormElement>("check-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.checkData();
    });
    if (!this.config.consentRelayUrl) show("save-relay", false);

    let first = true;
    watchWallets((wallets) => {
      this.wallets = wallets;
      if (this.wallet) return; // connected already: a late wallet changes nothing
      renderWallets(wallets, (wallet) => void this.connect(wallet));
      if (wallets.length === 0) this.notice(say("walletMissing"));
      else if (wallets.length > 1) this.notice(say("chooseWallet"), "info");
      else this.notice(null);
      if (first) {
        first = false;
        ready();
      }
    });
  }

  private async connect(wallet: Wallet): Promise<void> {
    this.notice(null);
    let accounts: string[];
    try {
      accounts = (await wallet.provider.request({ method: "eth_requestAccounts" })) as string[];
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    if (!accounts?.length) {
      this.notice(say("rejected"));
      return;
    }
    this.wallet = wallet;
    this.account = getAddress(accounts[0]!);
    if (!this.listening && wallet.provider.on) {
      this.listening = true;
      wallet.provider.on("chainChanged", () => void this.refresh());
      wallet.provider.on("accountsChanged", (changed: string[]) => {
        if (changed.length === 0) {
          window.location.reload();
          return;
        }
        this.account = getAddress(changed[0]!);
        renderAccount(this.account);
        void this.refresh();
      });
      wallet.provider.on("disconnect", () => this.notice(say("disconnected")));
    }
    show("connect-panel", false);
    renderAccount(this.account);
    await this.refresh();
  }

  private async switchNetwork(): Promise<void> {
    try {
      await switchToProgrammeChain(this.wallet!.provider, this.config);
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    await this.refresh();
  }

  private writer(): WalletClient {
    return walletClient(this.wallet!.provider, this.account!, this.chain);
  }

  // ---------------------------------------------------------------- the card

  private async refresh(): Promise<void> {
    const generation = ++this.generation;
    const panels = ["card", "consent-panel", "rewards-panel", "proof-panel", "history-panel", "check-panel"];
    let chainId: number;
    try {
      chainId = await walletChainId(this.wallet!.provider);
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    if (generation !== this.generation) return;
    if (chainId !== this.config.chainId) {
      panels.forEach((id) => show(id, false));
      show("network-panel", true);
      this.notice((c) => c.wrongNetwork(this.config.chainName));
      return;
    }
    show("network-panel", false);
    this.notice(null);
    const account = this.account!;
    let membership: Membership;
    try {
      membership = await readMembership(this.reader, this.config, account);
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    if (generation !== this.generation) return;
    this.membership = membership;
    this.events = undefined;
    const status = membership.record.status;
    if (status === Status.None) {
      panels.forEach((id) => show(id, false));
      this.notice(say("notMember"));
      return;
    }
    if (status === Status.Suspended) this.notice(say("suspended"));
    if (status === Status.Revoked) this.notice(say("ended"));
    if (status === Status.Erased) this.notice(say("erased"));
    renderCard(this.config, membership);
    renderConsent(this.config, membership, false);
    renderRewards(this.config, membership, (reward, paidBy) => void this.redeem(reward, paidBy));
    if (status === Status.Suspended) tell("rewards-message", say("suspended"), "error");
    show("card", status !== Status.Erased);
    show("consent-panel", status !== Status.Erased);
    show("save-relay", Boolean(this.config.consentRelayUrl) && status !== Status.Revoked);
    show("rewards-panel", status === Status.Active || status === Status.Suspended);
    show("check-panel", status !== Status.Erased);
    show("history-panel", true);
    this.proofs?.render({
      account,
      active: status === Status.Active,
      tier: membership.record.tier,
      reader: this.reader,
      writer: () => this.writer(),
      tierName: (tier) => tierName(this.config, tier),
    });
    await this.showHistory(generation, account, status);
  }

  private async showHistory(generation: number, account: Address, status: Status): Promise<void> {
    let events: ProgrammeEvent[];
    try {
      events = await this.history.read(account);
    } catch (error) {
      if (generation === this.generation) this.notice(explain(error));
      return;
    }
    if (generation !== this.generation) return;
    this.events = events;
    const entries = tellHistory(this.config, events, account);
    renderHistory(entries);
    // Erased "at your request" only when the member asked to leave before the erasure.
    if (status === Status.Erased && entries.some((entry) => entry.eventName === "MemberLeft")) {
      this.notice(say("erasedAtRequest"));
    }
  }

  // ---------------------------------------------------------------- actions

  private async saveConsent(mode: "own" | "relay"): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    const flags = chosenConsent();
    const { record, policyVersion } = membership;
    if (flags === record.consent && record.policyVersion === policyVersion) {
      tell("consent-message", say("nothingToSave"));
      return;
    }
    tell("consent-message", say(mode === "own" ? "confirmTransaction" : "signMessage"));
    await busy("consent-panel", async () => {
      try {
        const hash = mode === "own" ? await this.setConsentOwn(flags, policyVersion) : await this.setConsentRelayed(flags, policyVersion);
        if (!hash) return;
        tell("consent-message", say("saving"));
        await confirmed(this.reader, hash);
        await this.refresh();
        const agreed = (c: Catalogue) => (mode === "own" ? c.saved : c.savedFree)(consentWords(this.config, flags));
        tell("consent-message", agreed, "success");
      } catch (error) {
        tell("consent-message", explain(error), "error");
      }
    });
  }

  private async setConsentOwn(flags: number, policyVersion: number): Promise<Hex> {
    const { request } = await this.reader.simulateContract({
      account: this.account!,
      address: this.config.registry,
      abi: registryAbi,
      functionName: "setConsent",
      args: [flags, policyVersion],
    });
    return this.writer().writeContract(request);
  }

  private async setConsentRelayed(flags: number, policyVersion: number): Promise<Hex | undefined> {
    const outcome = await relayConsent(this.reader, this.writer(), this.config, this.account!, flags, policyVersion);
    return this.relayed(outcome, "consent-message", (c) => c.relay, say("relayUnavailable"));
  }

  /** The relay's transaction, or undefined after telling the member in `region` why not: the
   * page's own sentence for a refusal's code (`sentences`), else the relay's. */
  private relayed(
    outcome: RelayOutcome,
    region: string,
    sentences: (c: Catalogue) => Readonly<Record<string, string>>,
    unavailable: Text,
  ): Hex | undefined {
    if ("txHash" in outcome) return outcome.txHash;
    if ("refused" in outcome) {
      const { refused, message } = outcome;
      tell(region, (c) => sentences(c)[refused] ?? message, "error");
    } else {
      tell(region, unavailable, "error");
    }
    return undefined;
  }

  private async redeem(reward: Reward, paidBy: PaidBy): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    const cost = membership.costs.get(reward.id) ?? 0n;
    const name = () => rewardName(reward);
    if (membership.record.status === Status.Suspended) return tell("rewards-message", say("suspended"), "error");
    if (membership.record.status !== Status.Active) return tell("rewards-message", say("notMember"), "error");
    if (cost === 0n) return tell("rewards-message", (c) => c.rewardUnavailable(name()), "error");
    if (membership.balance < cost) {
      return tell("rewards-message", (c) => c.notEnoughPoints(name(), cost, membership.balance), "error");
    }
    tell("rewards-message", say(paidBy === "own" ? "confirmTransaction" : "signMessage"));
    await busy("rewards-panel", async () => {
      try {
        const hash = paidBy === "own" ? await this.redeemOwn(reward) : await this.redeemRelayed(reward, cost);
        if (!hash) return;
        tell("rewards-message", say("redeeming"));
        await confirmed(this.reader, hash);
        await this.refresh();
        const left = this.membership?.balance ?? membership.balance - cost;
        const done = (c: Catalogue) => (paidBy === "own" ? c.redeemed : c.redeemedFree)(name(), cost, left);
        tell("rewards-message", done, "success");
      } catch (error) {
        tell("rewards-message", explain(error), "error");
      }
    });
  }

  private async redeemOwn(reward: Reward): Promise<Hex> {
    const { request } = await this.reader.simulateContract({
      account: this.account!,
      address: this.config.points,
      abi: pointsAbi,
      functionName: "redeem",
      args: [BigInt(reward.id)],
    });
    return this.writer().writeContract(request);
  }

  /** The member signs the reward at the `cost` they were shown; the relay sends it. */
  private async redeemRelayed(reward: Reward, cost: bigint): Promise<Hex | undefined> {
    const outcome = await relayRedemption(this.reader, this.writer(), this.config, this.account!, BigInt(reward.id), cost);
    return this.relayed(outcome, "rewards-message", (c) => c.redeemRelay, say("redeemRelayUnavailable"));
  }

  private async watchAsset(): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    try {
      const added = await this.writer().watchAsset({
        type: "ERC20",
        options: { address: this.config.points, symbol: membership.symbol, decimals: membership.decimals },
      });
      tell("card-message", say(added ? "assetAdded" : "assetNotAdded"), added ? "success" : "info");
    } catch (error) {
      tell("card-message", explain(error), "error");
    }
  }

  private async checkData(): Promise<void> {
    const form = element<HTMLFormElement>("check-form");
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    // The phone number rules are large: loaded only when a member checks their data.
    const { commitPerson, InvalidField, parseSalt } = await import("./commitment");
    let commitment: Hex;
    try {
      const salt = parseSalt(value("salt"));
      const raw = { full_name: value("full_name"), email: value("email"), phone: value("phone"), birth_date: value("birth_date") };
      commitment = commitPerson(raw, salt, this.config.phoneRegion).commitment;
    } catch (error) {
      if (error instanceof InvalidField) {
        const { field, reason } = error;
        return tell("check-message", (c) => c.checkField(c.fieldWords[field], reason), "error");
      }
      throw error;
    }
    try {
      const matches = await this.reader.readContract({
        address: this.config.registry,
        abi: registryAbi,
        functionName: "commitmentMatches",
        args: [this.account!, commitment],
      });
      tell("check-message", say(matches ? "matches" : "mismatch"), matches ? "success" : "error");
    } catch (error) {
      tell("check-message", explain(error), "error");
    }
  }

  private notice(text: Text | null, tone: Tone = "error"): void {
    tell("notice", text, tone);
  }
}

async function main(): Promise<void> {
  let config: PageConfig;
  try {
    config = await loadConfig();
  } catch {
    setLanguage(preferredLanguage(null, navigator.languages ?? []));
    translatePage();
    tell("notice", say("noConnection"), "error");
    document.body.dataset.ready = "true";
    return;
  }
  new MemberPage(config).start(() => {
    document.body.dataset.ready = "true";
  });
}

void main();
