// The page's words for what the chain stores as numbers: tiers, consent flags, statuses,
// rewards; in the member's language, falling back to the programme's configured words.

import type { Status } from "./abi";
import type { PageConfig, Reward } from "./config";
import { language, t } from "./i18n";

export function statusWord(status: Status): string {
  return t().status[status] ?? String(status);
}

export function purposeWord(config: PageConfig, flag: number): string {
  return t().purposes[flag] ?? config.consentPurposes.find((p) => p.flag === flag)?.words ?? t().purposeUnknown(flag);
}

export function consentWords(config: PageConfig, flags: number): string {
  const words = config.consentPurposes.filter((p) => flags & p.flag).map((p) => purposeWord(config, p.flag));
  return words.length === 0 ? t().consentNothing : t().list(words);
}

export function tierName(config: PageConfig, tier: number): string {
  const name = t().tiers[tier] ?? config.tiers[String(tier)] ?? t().tierUnknown(tier);
  return t().capitalise(name);
}

export function rewardName(reward: Reward): string {
  return reward.names?.[language()] ?? reward.description;
}

export function programmeName(config: PageConfig): string {
  return config.programme.names?.[language()] ?? config.programme.name;
}
