// Every failure as a sentence a member understands (from the catalogue). Nothing here
// mentions hex, gas limits or error codes; what the member can do next is part of each.

import { BaseError, ContractFunctionRevertedError } from "viem";

import type { Catalogue, Text } from "./i18n";
import { DISCONNECTED, errorCode, UNSUPPORTED, USER_REJECTED } from "./wallet";

/** The contract error's name inside `error`, if the chain refused a call. */
export function revertName(error: unknown): string | undefined {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName;
  }
  return undefined;
}

/** A sentence for any error thrown by the wallet or the chain. */
export function explain(error: unknown): Text {
  const code = errorCode(error);
  if (code === USER_REJECTED) return (c) => c.rejected;
  if (code !== undefined && UNSUPPORTED.includes(code)) return (c) => c.unsupported;
  if (code !== undefined && DISCONNECTED.includes(code)) return (c) => c.disconnected;
  const name = revertName(error);
  switch (name) {
    case "EnforcedPause":
      return (c) => c.paused;
    case "StalePolicy":
      return (c) => c.stalePolicy;
    case "WrongStatus":
    case "NotActiveMember":
      return (c) => c.notMember;
    case undefined:
      break;
    default:
      return (c) => c.refusedBy(name);
  }
  const short = error instanceof BaseError ? error.shortMessage : String((error as Error)?.message ?? error);
  if (/fetch|network|HTTP request failed/i.test(short)) return (c) => c.noConnection;
  return (c: Catalogue) => c.unexpected(short);
}
