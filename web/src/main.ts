// The member page: connect a wallet, show the membership card, change consent (own
// transaction or gas-free through the relay), redeem rewards, read the history from the
// chain and check the member's data against the on-chain commitment.
//
// This file wires the parts together; each job lives in its own module: wallet discovery
// (wallet.ts) and the wallet's network (network.ts), chain reads (chain.ts), history
// sentences (history.ts), the relay client (relay.ts) and drawing the page (view.ts, dom.ts).

import { getAddress, type Address, type Chain, type Hex, type PublicClient, type WalletClient } from "viem";

import { pointsAbi, registryAbi, Status } from "./abi";
import { chainReader, confirmed, programmeChain, readMembership, type Membership } from "./chain";
import { commitPerson, InvalidField, parseSalt, type FieldName } from "./commitment";
import { loadConfig, type PageConfig, type Reward } from "./config";
import { busy, element, show, tell, type Tone } from "./dom";
import { readHistory, type HistoryEntry } from "./history";
import { explain, say } from "./messages";
import { switchToProgrammeChain, walletChainId, walletClient } from "./network";
import { relayConsent } from "./relay";
import { chosenConsent, renderAccount, renderCard, renderConsent, renderHistory, renderRewards, renderWallets } from "./view";
import { discoverWallets, type Wallet } from "./wallet";
import { consentWords } from "./words";

const FIELD_WORDS: Record<FieldName, string> = {
  full_name: "full name",
  email: "e-mail address",
  phone: "phone number",
  birth_date: "birth date",
  salt: "salt",
};

class MemberPage {
  private wallet?: Wallet;
  private account?: Address;
  private membership?: Membership;
  private generation = 0;
  private listening = false;
  private readonly chain: Chain;
  private readonly reader: PublicClient;

  constructor(private readonly config: PageConfig) {
    this.chain = programmeChain(config);
    this.reader = chainReader(this.chain, config.rpcUrl);
  }

  // ---------------------------------------------------------------- wallet and network

  async start(): Promise<void> {
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
    if (!this.config.relayUrl) show("save-relay", false);

    const wallets = await discoverWallets();
    element("wallet-list").replaceChildren();
    if (wallets.length === 0) {
      this.notice(say.walletMissing);
      return;
    }
    if (wallets.length > 1) this.notice(say.chooseWallet, "info");
    renderWallets(wallets, (wallet) => void this.connect(wallet));
  }

  private async connect(wallet: Wallet): Promise<void> {
    this.notice("");
    let accounts: string[];
    try {
      accounts = (await wallet.provider.request({ method: "eth_requestAccounts" })) as string[];
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    if (!accounts?.length) {
      this.notice(say.rejected);
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
        void this.refresh();
      });
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
    const panels = ["card", "consent-panel", "rewards-panel", "history-panel", "check-panel"];
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
      element("network-text").textContent =
        `The programme runs on ${this.config.chainName}. Your wallet will ask you to switch to it, and to add it first if it does not know it yet.`;
      show("network-panel", true);
      this.notice(say.wrongNetwork(this.config.chainName));
      return;
    }
    show("network-panel", false);
    this.notice("");
    let membership: Membership;
    try {
      membership = await readMembership(this.reader, this.config, this.account!);
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    if (generation !== this.generation) return;
    this.membership = membership;
    const status = membership.record.status;
    if (status === Status.None) {
      panels.forEach((id) => show(id, false));
      this.notice(say.notMember);
      return;
    }
    if (status === Status.Suspended) this.notice(say.suspended);
    if (status === Status.Revoked) this.notice(say.ended);
    if (status === Status.Erased) this.notice(say.erased);
    renderCard(this.config, membership);
    renderConsent(this.config, membership);
    renderRewards(this.config, membership, (reward) => void this.redeem(reward));
    show("card", status !== Status.Erased);
    show("consent-panel", status !== Status.Erased);
    show("save-relay", Boolean(this.config.relayUrl) && status !== Status.Revoked);
    show("rewards-panel", status === Status.Active || status === Status.Suspended);
    show("check-panel", status !== Status.Erased);
    show("history-panel", true);
    await this.showHistory(generation);
  }

  private async showHistory(generation: number): Promise<void> {
    let entries: HistoryEntry[];
    try {
      entries = await readHistory(this.reader, this.config, this.account!);
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    if (generation !== this.generation) return;
    renderHistory(entries);
  }

  // ---------------------------------------------------------------- actions

  private async saveConsent(mode: "own" | "relay"): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    const flags = chosenConsent();
    const { record, policyVersion } = membership;
    if (flags === record.consent && record.policyVersion === policyVersion) {
      tell("consent-message", say.nothingToSave);
      return;
    }
    tell("consent-message", mode === "own" ? "Confirm the transaction in your wallet…" : "Sign the message in your wallet…");
    await busy("consent-panel", async () => {
      try {
        const hash = mode === "own" ? await this.setConsentOwn(flags, policyVersion) : await this.setConsentRelayed(flags, policyVersion);
        if (!hash) return;
        tell("consent-message", "Saving…");
        await confirmed(this.reader, hash);
        await this.refresh();
        const how = mode === "own" ? "Saved" : "Saved without a fee";
        tell("consent-message", `${how}. You now agree to ${consentWords(this.config, flags)}.`, "success");
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
    if ("txHash" in outcome) return outcome.txHash;
    tell("consent-message", "refused" in outcome ? outcome.refused : say.relayUnavailable, "error");
    return undefined;
  }

  private async redeem(reward: Reward): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    const cost = membership.costs.get(reward.id) ?? 0n;
    if (membership.record.status === Status.Suspended) return tell("rewards-message", say.suspended, "error");
    if (membership.record.status !== Status.Active) return tell("rewards-message", say.notMember, "error");
    if (cost === 0n) return tell("rewards-message", say.rewardUnavailable(reward.description), "error");
    if (membership.balance < cost) {
      return tell("rewards-message", say.notEnoughPoints(reward.description, cost, membership.balance), "error");
    }
    tell("rewards-message", "Confirm the transaction in your wallet…");
    await busy("rewards-panel", async () => {
      try {
        const { request } = await this.reader.simulateContract({
          account: this.account!,
          address: this.config.points,
          abi: pointsAbi,
          functionName: "redeem",
          args: [BigInt(reward.id)],
        });
        const hash = await this.writer().writeContract(request);
        tell("rewards-message", "Redeeming…");
        await confirmed(this.reader, hash);
        await this.refresh();
        const left = this.membership?.balance ?? membership.balance - cost;
        tell("rewards-message", `You redeemed the ${reward.description} for ${cost} points. You have ${left} points left.`, "success");
      } catch (error) {
        tell("rewards-message", explain(error), "error");
      }
    });
  }

  private async watchAsset(): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    try {
      const added = await this.writer().watchAsset({
        type: "ERC20",
        options: { address: this.config.points, symbol: membership.symbol, decimals: membership.decimals },
      });
      tell("card-message", added ? "Your points now show in your wallet." : "Your wallet did not add the points.", added ? "success" : "info");
    } catch (error) {
      tell("card-message", explain(error), "error");
    }
  }

  private async checkData(): Promise<void> {
    const form = element<HTMLFormElement>("check-form");
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    let commitment: Hex;
    try {
      const salt = parseSalt(value("salt"));
      const raw = { full_name: value("full_name"), email: value("email"), phone: value("phone"), birth_date: value("birth_date") };
      commitment = commitPerson(raw, salt, this.config.phoneRegion).commitment;
    } catch (error) {
      if (error instanceof InvalidField) {
        return tell("check-message", `Please check the ${FIELD_WORDS[error.field]}: ${error.reason}.`, "error");
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
      if (matches) {
        tell("check-message", "Your details match the record on the chain.", "success");
      } else {
        tell(
          "check-message",
          "These details do not match the record on the chain. Check the spelling of each field and the salt you were given; if they are right, ask the programme team to correct your record.",
          "error",
        );
      }
    } catch (error) {
      tell("check-message", explain(error), "error");
    }
  }

  private notice(text: string, tone: Tone = "error"): void {
    tell("notice", text, tone);
  }
}

async function main(): Promise<void> {
  let config: PageConfig;
  try {
    config = await loadConfig();
  } catch {
    tell("notice", say.noConnection, "error");
    return;
  }
  await new MemberPage(config).start();
  document.body.dataset.ready = "true";
}

void main();
