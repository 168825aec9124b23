// The programme's words for what the chain stores as numbers: tiers, consent flags, statuses.

import { Status } from "./abi";
import type { PageConfig } from "./config";

export const STATUS_WORDS: Record<Status, string> = {
  [Status.None]: "Not a member",
  [Status.Active]: "Active",
  [Status.Suspended]: "Suspended",
  [Status.Revoked]: "Ended",
  [Status.Erased]: "Erased",
};

export function consentWords(config: PageConfig, flags: number): string {
  const words = config.consentPurposes.filter((p) => flags & p.flag).map((p) => p.words);
  if (words.length === 0) return "nothing beyond running your membership";
  if (words.length === 1) return words[0]!;
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

export function tierName(config: PageConfig, tier: number): string {
  const name = config.tiers[String(tier)] ?? `tier ${tier}`;
  return name.charAt(0).toUpperCase() + name.slice(1);
}
