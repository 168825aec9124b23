// Hardhat is used only as a local node (`npx hardhat node`) for running MemberLedger's flow on a
// second client besides Anvil; contracts are compiled by Ape (ape-solidity), not by Hardhat.
module.exports = {
  solidity: "0.8.30",
  paths: { sources: "./hardhat-unused-sources", cache: "./.cache/hardhat", artifacts: "./.cache/hardhat-artifacts" },
  networks: {
    hardhat: {
      chainId: 31337,
      mining: { auto: true },
      accounts: { mnemonic: "test test test test test test test test test test test junk" },
    },
  },
};
