-- AlterTable
ALTER TABLE "gateway_sessions" ADD COLUMN     "claim_token" UUID,
ADD COLUMN     "close_failures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "first_close_failure_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "gateway_wallet_scans" (
    "chain_id" INTEGER NOT NULL,
    "user_address" VARCHAR(42) NOT NULL,
    "checked_count" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "gateway_wallet_scans_pkey" PRIMARY KEY ("chain_id","user_address")
);
