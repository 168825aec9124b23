// Reading the programme's two contracts through the page's own RPC client: the member's
// record, balance, the current policy and the reward catalogue's prices.

import { createPublicClient, defineChain, http, type Address, type Chain, type Hex, type PublicClient } from "viem";

import { pointsAbi, registryAbi, Status } from "./abi";
import type { PageConfig } from "./config";

export interface MemberRecord {
  commitment: Hex;
  consent: number;
  tier: number;
  status: Status;
  policyVersion: number;
  since: number;
}

export interface Membership {
  record: MemberRecord;
  balance: bigint;
  policyVersion: number;
  symbol: string;
  decimals: number;
  costs: Map<number, bigint>;
}

/** The programme's chain as viem describes it. */
export function programmeChain(config: PageConfig): Chain {
  return defineChain({
    id: config.chainId,
    name: config.chainName,
    nativeCurrency: config.nativeCurrency,
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
}

/** A client that reads from the programme's RPC node (not through the wallet). */
export function chainReader(chain: Chain, rpcUrl: string): PublicClient {
  return createPublicClient({
    chain,
    transport: http(rpcUrl, { batch: true, retryCount: 1 }),
    pollingInterval: 250,
  }) as PublicClient;
}

export async function readMembership(reader: PublicClient, config: PageConfig, account: Address): Promise<Membership> {
  const { registry, points } = config;
  const [record, balance, policyVersion, symbol, decimals, ...costs] = await Promise.all([
    reader.readContract({ address: registry, abi: registryAbi, functionName: "memberOf", args: [account] }),
    reader.readContract({ address: points, abi: pointsAbi, functionName: "balanceOf", args: [account] }),
    reader.readContract({ address: registry, abi: registryAbi, functionName: "policyVersion" }),
    reader.readContract({ address: points, abi: pointsAbi, functionName: "symbol" }),
    reader.readContract({ address: points, abi: pointsAbi, functionName: "decimals" }),
    ...config.rewards.map((reward) =>
      reader.readContract({ address: points, abi: pointsAbi, functionName: "rewardCost", args: [BigInt(reward.id)] }),
    ),
  ]);
  return {
    record: { ...record, status: record.status as Status },
    balance,
    policyVersion,
    symbol,
    decimals,
    costs: new Map(config.rewards.map((reward, index) => [reward.id, costs[index] as bigint])),
  };
}

/** Wait for a transaction's receipt; throws when the chain reverted it. */
export async function confirmed(reader: PublicClient, hash: Hex): Promise<void> {
  const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 250 });
  if (receipt.status !== "success") throw new Error("the transaction was reverted");
}
