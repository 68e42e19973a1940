// The networks the portal can talk to; addresses from the Compute Node spec.
import type { Address, Chain } from "viem";
import { arbitrum, arbitrumSepolia, base, baseSepolia, foundry } from "viem/chains";
import type { ChainName } from "@/lib/env";

const DELEGATE_XYZ_V2_REGISTRY: Address = "0x00000000000000447e69651d841bD8D104Bed493";

export interface Network {
  name: ChainName;
  label: string;
  chain: Chain;
  /** MOR token and Compute Node Diamond; undefined on `local`, where `npm start` deploys them. */
  morToken?: Address;
  diamond?: Address;
  /**
   * The delegate.xyz v2 registry the Diamond's Delegation facet reads (getRegistry()): the same
   * address on every chain. Undefined on `local`, where the deploy puts a stand-in.
   */
  delegateRegistry?: Address;
  defaultRpcUrl: string;
  explorerUrl?: string;
}

export const networks: Record<ChainName, Network> = {
  base: {
    name: "base",
    label: "Base",
    chain: base,
    morToken: "0x7431aDa8a591C955a994a21710752EF9b882b8e3",
    diamond: "0x6aBE1d282f72B474E54527D93b979A4f64d3030a",
    delegateRegistry: DELEGATE_XYZ_V2_REGISTRY,
    defaultRpcUrl: base.rpcUrls.default.http[0],
    explorerUrl: "https://basescan.org",
  },
  "base-sepolia": {
    name: "base-sepolia",
    label: "Base Sepolia",
    chain: baseSepolia,
    morToken: "0x5C80Ddd187054E1E4aBBfFCD750498e81d34FfA3",
    diamond: "0x6e4d0B775E3C3b02683A6F277Ac80240C4aFF930",
    delegateRegistry: DELEGATE_XYZ_V2_REGISTRY,
    defaultRpcUrl: baseSepolia.rpcUrls.default.http[0],
    explorerUrl: "https://sepolia.basescan.org",
  },
  arbitrum: {
    name: "arbitrum",
    label: "Arbitrum One (legacy)",
    chain: arbitrum,
    morToken: "0x092bAaDB7DEf4C3981454dD9c0A0D7FF07bCFc86",
    diamond: "0xDE819AaEE474626E3f34Ef0263373357e5a6C71b",
    delegateRegistry: DELEGATE_XYZ_V2_REGISTRY,
    defaultRpcUrl: arbitrum.rpcUrls.default.http[0],
    explorerUrl: "https://arbiscan.io",
  },
  "arbitrum-sepolia": {
    name: "arbitrum-sepolia",
    label: "Arbitrum Sepolia (legacy)",
    chain: arbitrumSepolia,
    morToken: "0x34a285a1b1c166420df5b6630132542923b5b27e",
    diamond: "0xb8C55cD613af947E73E262F0d3C54b7211Af16CF",
    delegateRegistry: DELEGATE_XYZ_V2_REGISTRY,
    defaultRpcUrl: arbitrumSepolia.rpcUrls.default.http[0],
    explorerUrl: "https://sepolia.arbiscan.io",
  },
  local: {
    name: "local",
    label: "Local (anvil)",
    chain: foundry,
    defaultRpcUrl: "http://127.0.0.1:8545",
  },
};
