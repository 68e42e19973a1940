"use client";

import { ConnectButton } from "@rainbow-me/rainbowkit";

/** RainbowKit's connect / account button, compact on phones. */
export function WalletButton() {
  return <ConnectButton label="Sign in" accountStatus={{ smallScreen: "avatar", largeScreen: "address" }} chainStatus="none" showBalance={false} />;
}
