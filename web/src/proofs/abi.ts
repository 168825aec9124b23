// The parts of MembershipProofs the member page calls.
export const proofsAbi = [
  {
    type: "function",
    name: "campaignScope",
    stateMutability: "view",
    inputs: [{ name: "campaign", type: "string" }],
    outputs: [{ name: "", type: "uint256" }],
  },
  {
    type: "function",
    name: "registerIdentity",
    stateMutability: "nonpayable",
    inputs: [{ name: "identityCommitment", type: "uint256" }],
    outputs: [],
  },
  {
    type: "function",
    name: "nonces",
    stateMutability: "view",
    inputs: [{ name: "owner", type: "address" }],
    outputs: [{ name: "", type: "uint256" }],
  },
] as const;
