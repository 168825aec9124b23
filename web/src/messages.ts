// Every failure as a sentence a member understands. Nothing here mentions hex, gas limits or
// error codes; what the member can do next is part of each sentence.

import { BaseError, ContractFunctionRevertedError } from "viem";
import { errorCode, USER_REJECTED } from "./wallet";

export const say = {
  loading: "Loading your membership…",
  walletMissing:
    "No Ethereum wallet was found in this browser. Install MetaMask (or another Ethereum wallet), then reload this page.",
  chooseWallet: "Several wallets are installed. Choose the one that holds your membership.",
  rejected: "You cancelled the request in your wallet. Nothing was changed.",
  wrongNetwork: (chainName: string) =>
    `Your wallet is connected to another network. Switch to ${chainName} to see your membership.`,
  notMember:
    "This wallet is not a member of the programme. If you joined with another wallet, connect that one instead.",
  suspended:
    "Your membership is suspended, so you cannot redeem points right now. Please contact the programme team.",
  ended: "Your membership has ended. You can still see your history and check your data.",
  erased: "Your membership record was erased at your request. No personal data is kept about you.",
  notEnoughPoints: (description: string, cost: bigint, balance: bigint) =>
    `The ${description} costs ${cost} points, but you have ${balance}. Collect ${cost - balance} more points first.`,
  rewardUnavailable: (description: string) => `The ${description} is no longer in the catalogue.`,
  relayUnavailable:
    "The gas-free service cannot be reached right now. Try again in a few minutes, or save with your own wallet (you pay a small network fee).",
  paused: "The programme is paused for maintenance. Nothing can be changed right now; please try again later.",
  stalePolicy:
    "The privacy policy changed since this page was loaded. Reload the page to see the current version, then save again.",
  nothingToSave: "Nothing to save: these choices are already on record.",
  noConnection: "The programme's network cannot be reached right now. Check your connection and reload the page.",
  unexpected: (detail: string) => `Something went wrong (${detail}). Nothing was changed; please try again.`,
};

/** The contract error's name inside `error`, if the chain refused a call. */
export function revertName(error: unknown): string | undefined {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName;
  }
  return undefined;
}

/** A sentence for any error thrown by the wallet or the chain. */
export function explain(error: unknown): string {
  if (errorCode(error) === USER_REJECTED) return say.rejected;
  switch (revertName(error)) {
    case "EnforcedPause":
      return say.paused;
    case "StalePolicy":
      return say.stalePolicy;
    case "WrongStatus":
    case "NotActiveMember":
      return say.notMember;
    case undefined:
      break;
    default:
      return say.unexpected(`the programme refused: ${revertName(error)}`);
  }
  const short = error instanceof BaseError ? error.shortMessage : String((error as Error)?.message ?? error);
  if (/fetch|network|HTTP request failed/i.test(short)) return say.noConnection;
  return say.unexpected(short);
}
