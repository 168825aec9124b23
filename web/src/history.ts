// The member's history: the programme's events about their wallet, read from the chain and
// told as sentences, oldest first.

import { decodeEventLog, getAddress, numberToHex, pad, toEventSelector, type Address, type Hex, type PublicClient } from "viem";

import { pointsAbi, registryAbi } from "./abi";
import type { PageConfig } from "./config";
import { consentWords, tierName } from "./words";

export interface HistoryEntry {
  when: Date;
  text: string;
}

export async function readHistory(reader: PublicClient, config: PageConfig, account: Address): Promise<HistoryEntry[]> {
  const { registry, points, deployBlock } = config;
  const events = [...registryAbi, ...pointsAbi].filter((item) => item.type === "event");
  const selectors = events.map((event) => toEventSelector(event));
  const transfer = toEventSelector("Transfer(address,address,uint256)");
  const me = pad(account.toLowerCase() as Hex, { size: 32 });
  const fromBlock = numberToHex(deployBlock);
  const query = (topics: (Hex | Hex[] | null)[]) =>
    reader.request({
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
    await Promise.all(blocks.map(async (number) => [number, (await reader.getBlock({ blockNumber: number })).timestamp] as const)),
  );
  const entries: HistoryEntry[] = [];
  for (const { log, event } of decoded) {
    if (event.eventName === "Transfer" && explained.has(log.transactionHash)) continue;
    const text = describe(config, event.eventName, event.args, account);
    const seconds = times.get(BigInt(log.blockNumber!)) ?? 0n;
    entries.push({ when: new Date(Number(seconds) * 1000), text });
  }
  return entries;
}

export function describe(config: PageConfig, name: string, args: Record<string, any>, account: Address): string {
  const zero = "0x0000000000000000000000000000000000000000";
  const reward = (id: bigint) => config.rewards.find((r) => BigInt(r.id) === id)?.description ?? `reward ${id}`;
  switch (name) {
    case "MemberEnrolled":
      return `You joined as a ${tierName(config, Number(args.tier))} member and agreed to ${consentWords(config, Number(args.consent))}.`;
    case "CommitmentRotated":
      return "Your personal details were updated; a new fingerprint of them is on record.";
    case "TierChanged":
      return `Your tier changed from ${tierName(config, Number(args.oldTier))} to ${tierName(config, Number(args.newTier))}.`;
    case "ConsentChanged": {
      const by = getAddress(args.by) === account ? "you saved it with your wallet" : "saved without a fee through the programme";
      return `Your privacy choices changed: you agree to ${consentWords(config, Number(args.newFlags))} (policy version ${args.policyVersion}; ${by}).`;
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
