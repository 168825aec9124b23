// The member page: connect a wallet, show the membership card, change consent (own
// transaction or gas-free through the relay), redeem rewards, read the history from the
// chain and check the member's data against the on-chain commitment.

import {
  createPublicClient,
  createWalletClient,
  custom,
  decodeEventLog,
  defineChain,
  getAddress,
  http,
  numberToHex,
  pad,
  toEventSelector,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";

import { consentChangeTypes, EIP712_NAME, EIP712_VERSION, pointsAbi, registryAbi, Status } from "./abi";
import { commitPerson, InvalidField, parseSalt, type FieldName } from "./commitment";
import { loadConfig, type PageConfig, type Reward } from "./config";
import { explain, say } from "./messages";
import { ProofPanel } from "./proofs/panel";
import { discoverWallets, errorCode, UNKNOWN_CHAIN, type Wallet } from "./wallet";

/** How long a gas-free consent signature stays valid. */
const SIGNATURE_LIFETIME_SECONDS = 600n;

interface MemberRecord {
  commitment: Hex;
  consent: number;
  tier: number;
  status: Status;
  policyVersion: number;
  since: number;
}

interface Membership {
  record: MemberRecord;
  balance: bigint;
  policyVersion: number;
  symbol: string;
  decimals: number;
  costs: Map<number, bigint>;
}

type Tone = "info" | "success" | "error";

const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
};

function show(id: string, visible: boolean): void {
  element(id).hidden = !visible;
}

function tell(id: string, text: string, tone: Tone = "info"): void {
  const target = element(id);
  target.textContent = text;
  target.dataset.tone = tone;
  target.hidden = text === "";
}

const FIELD_WORDS: Record<FieldName, string> = {
  full_name: "full name",
  email: "e-mail address",
  phone: "phone number",
  birth_date: "birth date",
  salt: "salt",
};

const STATUS_WORDS: Record<Status, string> = {
  [Status.None]: "Not a member",
  [Status.Active]: "Active",
  [Status.Suspended]: "Suspended",
  [Status.Revoked]: "Ended",
  [Status.Erased]: "Erased",
};

class MemberPage {
  private wallet?: Wallet;
  private account?: Address;
  private membership?: Membership;
  private generation = 0;
  private listening = false;
  private readonly chain: Chain;
  private readonly reader: PublicClient;
  private readonly proofs?: ProofPanel;

  constructor(private readonly config: PageConfig) {
    if (config.proofs) this.proofs = new ProofPanel(element("proof-panel"), config.proofs, config.chainId);
    this.chain = defineChain({
      id: config.chainId,
      name: config.chainName,
      nativeCurrency: config.nativeCurrency,
      rpcUrls: { default: { http: [config.rpcUrl] } },
    });
    this.reader = createPublicClient({
      chain: this.chain,
      transport: http(config.rpcUrl, { batch: true, retryCount: 1 }),
      pollingInterval: 250,
    }) as PublicClient;
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
    const list = element("wallet-list");
    list.replaceChildren();
    if (wallets.length === 0) {
      this.notice(say.walletMissing);
      return;
    }
    if (wallets.length > 1) this.notice(say.chooseWallet, "info");
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
      button.addEventListener("click", () => void this.connect(wallet));
      list.append(button);
    }
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
    const account = element("account");
    account.textContent = `Wallet ${this.account.slice(0, 6)}…${this.account.slice(-4)}`;
    account.title = this.account;
    account.hidden = false;
    await this.refresh();
  }

  private async walletChainId(): Promise<number> {
    const chainId = (await this.wallet!.provider.request({ method: "eth_chainId" })) as string;
    return Number.parseInt(chainId, 16);
  }

  private async switchNetwork(): Promise<void> {
    const provider = this.wallet!.provider;
    const chainId = numberToHex(this.config.chainId);
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    } catch (error) {
      if (errorCode(error) !== UNKNOWN_CHAIN) {
        this.notice(explain(error));
        return;
      }
      try {
        await provider.request({
          method: "wallet_addEthereumChain",
          params: [
            {
              chainId,
              chainName: this.config.chainName,
              rpcUrls: [this.config.rpcUrl],
              nativeCurrency: this.config.nativeCurrency,
            },
          ],
        });
        if ((await this.walletChainId()) !== this.config.chainId) {
          await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
        }
      } catch (addError) {
        this.notice(explain(addError));
        return;
      }
    }
    await this.refresh();
  }

  private writer(): WalletClient {
    return createWalletClient({
      account: this.account!,
      chain: this.chain,
      transport: custom(this.wallet!.provider),
    });
  }

  // ---------------------------------------------------------------- the card

  private async refresh(): Promise<void> {
    const generation = ++this.generation;
    const panels = ["card", "consent-panel", "rewards-panel", "proof-panel", "history-panel", "check-panel"];
    let chainId: number;
    try {
      chainId = await this.walletChainId();
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
      membership = await this.readMembership(this.account!);
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
    this.renderCard(membership);
    this.renderConsent(membership);
    this.renderRewards(membership);
    show("card", status !== Status.Erased);
    show("consent-panel", status !== Status.Erased);
    show("save-relay", Boolean(this.config.relayUrl) && status !== Status.Revoked);
    show("rewards-panel", status === Status.Active || status === Status.Suspended);
    show("check-panel", status !== Status.Erased);
    show("history-panel", true);
    this.proofs?.render({
      account: this.account!,
      active: status === Status.Active,
      tier: membership.record.tier,
      reader: this.reader,
      writer: () => this.writer(),
      tierName: (tier) => this.tierName(tier),
    });
    await this.renderHistory(generation);
  }

  private async readMembership(account: Address): Promise<Membership> {
    const { registry, points } = this.config;
    const read = this.reader;
    const [record, balance, policyVersion, symbol, decimals, ...costs] = await Promise.all([
      read.readContract({ address: registry, abi: registryAbi, functionName: "memberOf", args: [account] }),
      read.readContract({ address: points, abi: pointsAbi, functionName: "balanceOf", args: [account] }),
      read.readContract({ address: registry, abi: registryAbi, functionName: "policyVersion" }),
      read.readContract({ address: points, abi: pointsAbi, functionName: "symbol" }),
      read.readContract({ address: points, abi: pointsAbi, functionName: "decimals" }),
      ...this.config.rewards.map((reward) =>
        read.readContract({ address: points, abi: pointsAbi, functionName: "rewardCost", args: [BigInt(reward.id)] }),
      ),
    ]);
    return {
      record: { ...record, status: record.status as Status },
      balance,
      policyVersion,
      symbol,
      decimals,
      costs: new Map(this.config.rewards.map((reward, index) => [reward.id, costs[index] as bigint])),
    };
  }

  private consentWords(flags: number): string {
    const words = this.config.consentPurposes.filter((p) => flags & p.flag).map((p) => p.words);
    if (words.length === 0) return "nothing beyond running your membership";
    if (words.length === 1) return words[0]!;
    return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
  }

  private tierName(tier: number): string {
    const name = this.config.tiers[String(tier)] ?? `tier ${tier}`;
    return name.charAt(0).toUpperCase() + name.slice(1);
  }

  private renderCard({ record, balance }: Membership): void {
    element("card-status").textContent = STATUS_WORDS[record.status];
    element("card").dataset.status = Status[record.status].toLowerCase();
    element("card-tier").textContent = this.tierName(record.tier);
    element("card-since").textContent = record.since
      ? new Date(record.since * 1000).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" })
      : "–";
    element("card-points").textContent = `${balance} points`;
    element("card-consent").textContent = this.consentWords(record.consent);
  }

  private renderConsent({ record, policyVersion }: Membership): void {
    const options = element("consent-options");
    options.replaceChildren();
    for (const purpose of this.config.consentPurposes) {
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

  private renderRewards(membership: Membership): void {
    const list = element("rewards");
    list.replaceChildren();
    for (const reward of this.config.rewards) {
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
      button.addEventListener("click", () => void this.redeem(reward));
      item.append(text, price, button);
      list.append(item);
    }
    if (membership.record.status === Status.Suspended) tell("rewards-message", say.suspended, "error");
  }

  // ---------------------------------------------------------------- history

  private async renderHistory(generation: number): Promise<void> {
    let entries: { when: Date; text: string }[];
    try {
      entries = await this.readHistory(this.account!);
    } catch (error) {
      this.notice(explain(error));
      return;
    }
    if (generation !== this.generation) return;
    const list = element("history");
    list.replaceChildren();
    for (const entry of entries.reverse()) {
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

  private async readHistory(account: Address): Promise<{ when: Date; text: string }[]> {
    const { registry, points, deployBlock } = this.config;
    const events = [...registryAbi, ...pointsAbi].filter((item) => item.type === "event");
    const selectors = events.map((event) => toEventSelector(event));
    const transfer = toEventSelector("Transfer(address,address,uint256)");
    const me = pad(account.toLowerCase() as Hex, { size: 32 });
    const fromBlock = numberToHex(deployBlock);
    const query = (topics: (Hex | Hex[] | null)[]) =>
      this.reader.request({
        method: "eth_getLogs",
        params: [{ address: [registry, points], fromBlock, toBlock: "latest", topics }],
      });
    const [about, received] = await Promise.all([query([selectors, me]), query([transfer, null, me])]);
    const seen = new Set<string>();
    const logs = [...about, ...received].filter((log) => {
      const key = `${log.transactionHash}:${log.logIndex}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    logs.sort((a, b) => Number(BigInt(a.blockNumber!) - BigInt(b.blockNumber!)) || Number(BigInt(a.logIndex!) - BigInt(b.logIndex!)));
    const decoded = logs.map((log) => ({
      log,
      event: decodeEventLog({
        abi: getAddress(log.address) === getAddress(registry) ? registryAbi : pointsAbi,
        data: log.data,
        topics: log.topics as [Hex, ...Hex[]],
      }) as { eventName: string; args: Record<string, any> },
    }));
    // A redemption or forfeit also burns points (a Transfer to zero): say it once.
    const explained = new Set(
      decoded.filter(({ event }) => event.eventName === "Redeemed" || event.eventName === "PointsForfeited").map(({ log }) => log.transactionHash),
    );
    const blocks = [...new Set(decoded.map(({ log }) => BigInt(log.blockNumber!)))];
    const times = new Map(
      await Promise.all(
        blocks.map(async (number) => [number, (await this.reader.getBlock({ blockNumber: number })).timestamp] as const),
      ),
    );
    const entries: { when: Date; text: string }[] = [];
    for (const { log, event } of decoded) {
      if (event.eventName === "Transfer" && explained.has(log.transactionHash)) continue;
      const text = this.describe(event.eventName, event.args, account);
      const seconds = times.get(BigInt(log.blockNumber!)) ?? 0n;
      entries.push({ when: new Date(Number(seconds) * 1000), text });
    }
    return entries;
  }

  private describe(name: string, args: Record<string, any>, account: Address): string {
    const zero = "0x0000000000000000000000000000000000000000";
    const reward = (id: bigint) => this.config.rewards.find((r) => BigInt(r.id) === id)?.description ?? `reward ${id}`;
    switch (name) {
      case "MemberEnrolled":
        return `You joined as a ${this.tierName(Number(args.tier))} member and agreed to ${this.consentWords(Number(args.consent))}.`;
      case "CommitmentRotated":
        return "Your personal details were updated; a new fingerprint of them is on record.";
      case "TierChanged":
        return `Your tier changed from ${this.tierName(Number(args.oldTier))} to ${this.tierName(Number(args.newTier))}.`;
      case "ConsentChanged": {
        const by = getAddress(args.by) === account ? "you saved it with your wallet" : "saved without a fee through the programme";
        return `Your privacy choices changed: you agree to ${this.consentWords(Number(args.newFlags))} (policy version ${args.policyVersion}; ${by}).`;
      }
      case "MemberSuspended":
        return "The programme suspended your membership.";
      case "MemberReinstated":
        return "The programme reinstated your membership.";
      case "MemberRevoked":
        return "The programme ended your membership.";
      case "MemberLeft":
        return "You left the programme.";
      case "MemberErased":
        return "Your record was erased; the programme keeps no personal data about you.";
      case "Redeemed":
        return `You redeemed the ${reward(args.rewardId)} for ${args.cost} points.`;
      case "PointsForfeited":
        return `${args.amount} points were forfeited after your membership ended.`;
      case "Transfer":
        if (args.from === zero) return `You earned ${args.value} points.`;
        if (args.to === zero) return `${args.value} points were removed.`;
        if (getAddress(args.to) === account) return `You received ${args.value} points from ${args.from}.`;
        return `You sent ${args.value} points to ${args.to}.`;
      default:
        return name;
    }
  }

  // ---------------------------------------------------------------- actions

  private async busy<T>(section: string, work: () => Promise<T>): Promise<T | undefined> {
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

  private async saveConsent(mode: "own" | "relay"): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    const boxes = [...element("consent-options").querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
    const flags = boxes.reduce((sum, box) => (box.checked ? sum | Number(box.value) : sum), 0);
    const { record, policyVersion } = membership;
    if (flags === record.consent && record.policyVersion === policyVersion) {
      tell("consent-message", say.nothingToSave);
      return;
    }
    tell("consent-message", mode === "own" ? "Confirm the transaction in your wallet…" : "Sign the message in your wallet…");
    await this.busy("consent-panel", async () => {
      try {
        const hash = mode === "own" ? await this.setConsentOwn(flags, policyVersion) : await this.setConsentRelayed(flags, policyVersion);
        if (!hash) return;
        tell("consent-message", "Saving…");
        await this.confirmed(hash);
        await this.refresh();
        const how = mode === "own" ? "Saved" : "Saved without a fee";
        tell("consent-message", `${how}. You now agree to ${this.consentWords(flags)}.`, "success");
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
    const account = this.account!;
    const [nonce, block] = await Promise.all([
      this.reader.readContract({ address: this.config.registry, abi: registryAbi, functionName: "nonces", args: [account] }),
      this.reader.getBlock(),
    ]);
    const now = BigInt(Math.floor(Date.now() / 1000));
    const deadline = (block.timestamp > now ? block.timestamp : now) + SIGNATURE_LIFETIME_SECONDS;
    const message = { member: account, flags, policyVersion, nonce, deadline };
    const signature = await this.writer().signTypedData({
      account,
      domain: { name: EIP712_NAME, version: EIP712_VERSION, chainId: this.config.chainId, verifyingContract: this.config.registry },
      types: consentChangeTypes,
      primaryType: "ConsentChange",
      message,
    });
    let response: Response;
    try {
      response = await fetch(this.config.relayUrl!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chainId: this.config.chainId,
          verifyingContract: this.config.registry,
          member: account,
          flags,
          policyVersion,
          nonce: nonce.toString(),
          deadline: deadline.toString(),
          signature,
        }),
      });
    } catch {
      tell("consent-message", say.relayUnavailable, "error");
      return undefined;
    }
    const answer = (await response.json().catch(() => null)) as { txHash?: Hex; message?: string } | null;
    if (response.ok && answer?.txHash) return answer.txHash;
    const refused = response.status >= 400 && response.status < 500 && answer?.message;
    tell("consent-message", refused ? answer!.message! : say.relayUnavailable, "error");
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
    await this.busy("rewards-panel", async () => {
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
        await this.confirmed(hash);
        await this.refresh();
        const left = this.membership?.balance ?? membership.balance - cost;
        tell("rewards-message", `You redeemed the ${reward.description} for ${cost} points. You have ${left} points left.`, "success");
      } catch (error) {
        tell("rewards-message", explain(error), "error");
      }
    });
  }

  private async confirmed(hash: Hex): Promise<void> {
    const receipt = await this.reader.waitForTransactionReceipt({ hash, pollingInterval: 250 });
    if (receipt.status !== "success") throw new Error("the transaction was reverted");
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
