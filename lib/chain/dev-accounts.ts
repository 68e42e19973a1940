// anvil's chain id and its standard dev accounts (the public Hardhat mnemonic): what the local chain
// funds at genesis. Apart from anvil.ts so that app code can import them without the anvil binary.
import { pbkdf2Sync } from "node:crypto";
import { toHex, type Hex } from "viem";
import { HDKey, hdKeyToAccount, type HDAccount } from "viem/accounts";

export const ANVIL_CHAIN_ID = 31337;

/** The mnemonic behind anvil's and Hardhat's default accounts (public: never use it for real funds). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

// BIP-39 seed with node:crypto (one PBKDF2 instead of one per account: ~400 ms saved per import).
const devSeed = pbkdf2Sync(DEV_MNEMONIC.normalize("NFKD"), "mnemonic", 2048, 64, "sha512");
const devRoot = HDKey.fromMasterSeed(devSeed);

/** anvil's accounts #0..#9 (m/44'/60'/0'/0/i); #0 = 0xf39F…2266, #1 = 0x7099…79C8. */
export const devAccounts: readonly HDAccount[] = Array.from({ length: 10 }, (_, i) => hdKeyToAccount(devRoot, { addressIndex: i }));

/** The private key of a dev account, for code that signs outside viem (e.g. MOR-RPC approvals). */
export function devPrivateKey(account: HDAccount): Hex {
  const key = account.getHdKey().privateKey;
  if (!key) throw new Error("dev account without a private key");
  return toHex(key);
}
