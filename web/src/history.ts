// The member's history: the programme's events about their wallet, told as sentences,
// oldest first. Where the events come from is pluggable (`HistorySource`):
// - `chainHistory` reads the logs from the chain in block ranges, halving a range whenever
//   the RPC provider refuses it as too large (public providers cap eth_getLogs, often at
//   10,000 blocks or fewer) and growing it again after each success;
// - `operatorHistory` asks the operator's index (GET <historyUrl>/<wallet>), when the
//   programme runs one. The index answers as far as it has read the chain; the page reads
//   the blocks after that from the chain itself. If the operator cannot answer, the page
//   falls back to the chain alone.

import {
  decodeEventLog,
  getAddress,
  numberToHex,
  pad,
  toEventSelector,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
} from "viem";

import { pointsAbi, registryAbi } from "./abi";
import type { PageConfig } from "./config";
import { t } from "./i18n";
import { consentWords, rewardName, tierName } from "./words";

/** One programme event about the member, decoded. */
export interface ProgrammeEvent {
  eventName: string;
  args: Record<string, any>;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
  /** Seconds since 1970 (the block's time). */
  timestamp: bigint;
}

export interface HistorySource {
  read(account: Address): Promise<ProgrammeEvent[]>;
}

/** The chain as a history source, also from a given block on. */
export interface ChainHistory extends HistorySource {
  readFrom(account: Address, fromBlock: bigint): Promise<ProgrammeEvent[]>;
}

/** The events the page knows how to tell (both contracts' ABIs). */
const TOLD: ReadonlySet<string> = new Set(
  [...registryAbi, ...pointsAbi].flatMap((item) => (item.type === "event" ? [item.name] : [])),
);

export interface HistoryEntry {
  when: Date;
  text: string;
  eventName: string;
}

/** The first range asked for, in blocks; it shrinks on refusals and grows on success. */
const FIRST_RANGE = 1_000_000n;
const MAX_RANGE = 1_000_000n;

/** Whether an RPC error means "ask for fewer blocks" (each provider words it its own way). */
export function isRangeError(error: unknown): boolean {
  let current: any = error;
  for (let depth = 0; current && depth < 8; depth += 1) {
    const text = `${current.message ?? ""} ${current.details ?? ""} ${current.shortMessage ?? ""}`;
    if (/block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|limit exceeded|exceed|max(imum)? (block )?range|response size|10,?000|query returned more than/i.test(text)) {
      return true;
    }
    if (current.code === -32005) return true;
    current = current.cause;
  }
  return false;
}

/** The programme's logs about `account` read from the chain, range by range. */
export function chainHistory(reader: PublicClient, config: PageConfig): ChainHistory {
  const readFrom = async (account: Address, fromBlock: bigint): Promise<ProgrammeEvent[]> => {
    const { registry, points } = config;
    const events = [...registryAbi, ...pointsAbi].filter((item) => item.type === "event");
    const selectors = events.map((event) => toEventSelector(event));
    const transfer = toEventSelector("Transfer(address,address,uint256)");
    const me = pad(account.toLowerCase() as Hex, { size: 32 });
    // Asked afresh: viem's cached answer may predate a transaction the member just sent.
    const latest = await reader.getBlockNumber({ cacheTime: 0 });
    const query = (topics: (Hex | Hex[] | null)[], from: bigint, to: bigint) =>
      reader.request({
        method: "eth_getLogs",
        params: [{ address: [registry, points], fromBlock: numberToHex(from), toBlock: numberToHex(to), topics }],
      }) as Promise<Log[]>;
    const logs: Log[] = [];
    let from = fromBlock;
    let range = FIRST_RANGE;
    let ceiling = MAX_RANGE + 1n; // the smallest range refused so far
    while (from <= latest) {
      const to = from + range - 1n < latest ? from + range - 1n : latest;
      try {
        const [about, received] = await Promise.all([query([selectors, me], from, to), query([transfer, null, me], from, to)]);
        logs.push(...about, ...received);
        from = to + 1n;
        const grown = range * 2n < ceiling - 1n ? range * 2n : ceiling - 1n;
        range = grown > range ? grown : range;
      } catch (error) {
        if (!isRangeError(error) || range === 1n) throw error;
        const span = to - from + 1n;
        ceiling = span < ceiling ? span : ceiling;
        range = span / 2n > 0n ? span / 2n : 1n;
      }
    }
    const seen = new Set<string>();
    const unique = logs.filter((log) => {
      const key = `${log.transactionHash}:${log.logIndex}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    const blocks = [...new Set(unique.map((log) => BigInt(log.blockNumber!)))];
    const times = new Map(
      await Promise.all(blocks.map(async (number) => [number, (await reader.getBlock({ blockNumber: number })).timestamp] as const)),
    );
    return unique.map((log) => {
      const event = decodeEventLog({
        abi: getAddress(log.address) === getAddress(registry) ? registryAbi : pointsAbi,
        data: log.data,
        topics: log.topics as [Hex, ...Hex[]],
      }) as { eventName: string; args: Record<string, any> };
      const blockNumber = BigInt(log.blockNumber!);
      return {
        eventName: event.eventName,
        args: event.args,
        blockNumber,
        logIndex: Number(log.logIndex),
        transactionHash: log.transactionHash!,
        timestamp: times.get(blockNumber) ?? 0n,
      };
    });
  };
  return { read: (account) => readFrom(account, BigInt(config.deployBlock)), readFrom };
}

/** What the operator's index answers (GET `<url>/<wallet>`): the events with the fields of
 * `ProgrammeEvent` (numbers as decimal strings), and how far the index has read the chain. */
interface OperatorAnswer {
  events: Record<string, any>[];
  indexedBlock: string;
  latestBlock: string | null;
  complete: boolean;
}

/** The operator's index, and the chain for the blocks the index has not read yet. */
export function operatorHistory(url: string, chain: ChainHistory): HistorySource {
  return {
    async read(account) {
      const response = await fetch(`${url.replace(/\/$/, "")}/${account}`, { headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
      const body = (await response.json()) as OperatorAnswer;
      const indexed: ProgrammeEvent[] = body.events
        .filter((event) => TOLD.has(String(event.eventName)))
        .map((event) => ({
          eventName: String(event.eventName),
          args: Object.fromEntries(
            Object.entries(event.args ?? {}).map(([key, value]) => [key, typeof value === "string" && /^[0-9]+$/.test(value) ? BigInt(value) : value]),
          ),
          blockNumber: BigInt(event.blockNumber),
          logIndex: Number(event.logIndex),
          transactionHash: event.transactionHash as Hex,
          timestamp: BigInt(event.timestamp),
        }));
      if (body.complete) return indexed;
      const rest = await chain.readFrom(account, BigInt(body.indexedBlock) + 1n);
      return [...indexed, ...rest];
    },
  };
}

/** The first source that answers; the chain last. */
export function withFallback(...sources: HistorySource[]): HistorySource {
  return {
    async read(account) {
      let failure: unknown;
      for (const source of sources) {
        try {
          return await source.read(account);
        } catch (error) {
          failure = error;
        }
      }
      throw failure;
    },
  };
}

/** The member's history as sentences, oldest first. */
export function tellHistory(config: PageConfig, events: ProgrammeEvent[], account: Address): HistoryEntry[] {
  const sorted = [...events].sort((a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex);
  // A redemption or forfeit also burns points (a Transfer to zero): say it once.
  const explained = new Set(
    sorted.filter((e) => e.eventName === "Redeemed" || e.eventName === "PointsForfeited").map((e) => e.transactionHash),
  );
  // The consent recorded with an enrollment is a ConsentChanged in the same transaction.
  const enrollments = new Set(sorted.filter((e) => e.eventName === "MemberEnrolled").map((e) => e.transactionHash));
  return sorted
    .filter((e) => !(e.eventName === "Transfer" && explained.has(e.transactionHash)))
    .map((e) => ({
      when: new Date(Number(e.timestamp) * 1000),
      text: describe(config, e.eventName, e.args, account, enrollments.has(e.transactionHash)),
      eventName: e.eventName,
    }));
}

export function describe(
  config: PageConfig,
  name: string,
  args: Record<string, any>,
  account: Address,
  atEnrollment = false,
): string {
  const c = t();
  const zero = "0x0000000000000000000000000000000000000000";
  const reward = (id: bigint) => {
    const found = config.rewards.find((r) => BigInt(r.id) === id);
    return found ? rewardName(found) : c.rewardUnknown(id);
  };
  switch (name) {
    case "MemberEnrolled":
      return c.joined(tierName(config, Number(args.tier)));
    case "CommitmentRotated":
      return c.detailsUpdated;
    case "TierChanged":
      return c.tierChanged(tierName(config, Number(args.oldTier)), tierName(config, Number(args.newTier)));
    case "ConsentChanged": {
      const how = getAddress(args.by) === account ? "own" : atEnrollment ? "form" : "relay";
      return c.consentChanged(consentWords(config, Number(args.newFlags)), String(args.policyVersion), how);
    }
    case "MemberSuspended":
      return c.suspendedEvent;
    case "MemberReinstated":
      return c.reinstated;
    case "MemberRevoked":
      return c.revoked;
    case "MemberLeft":
      return c.left;
    case "MemberErased":
      return c.erasedEvent;
    case "Redeemed":
      return c.redeemedEvent(reward(BigInt(args.rewardId)), String(args.cost));
    case "PointsForfeited":
      return c.forfeited(String(args.amount));
    case "NonceIncreased":
      return c.signaturesCancelled;
    case "CreditSkipped":
      return c.creditSkipped(String(args.amount));
    case "CreditRoundedToZero":
      return c.creditRoundedToZero(String(args.amount));
    case "Transfer":
      if (args.from === zero) return c.earned(String(args.value));
      if (args.to === zero) return c.removed(String(args.value));
      if (getAddress(args.to) === account) return c.received(String(args.value), String(args.from));
      return c.sent(String(args.value), String(args.to));
    default:
      return c.otherEvent(name);
  }
}
