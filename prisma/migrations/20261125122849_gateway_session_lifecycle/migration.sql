-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "gateway_sessions" ADD COLUMN     "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "disputed" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "note" VARCHAR(500),
ADD COLUMN     "price_per_second" DECIMAL(78,0) NOT NULL,
ADD COLUMN     "provider_pub_key" VARCHAR(132),
ADD COLUMN     "request_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "user_address" VARCHAR(42) NOT NULL,
ALTER COLUMN "session_id" DROP NOT NULL,
ALTER COLUMN "opened_at" DROP NOT NULL,
ALTER COLUMN "ends_at" DROP NOT NULL,
ALTER COLUMN "open_tx_hash" DROP NOT NULL;

-- AlterTable
ALTER TABLE "usage_records" ADD COLUMN     "endpoint" VARCHAR(32) NOT NULL,
ADD COLUMN     "stream" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "api_keys_updated_at_idx" ON "api_keys"("updated_at");

-- CreateIndex
CREATE INDEX "gateway_sessions_state_last_used_at_idx" ON "gateway_sessions"("state", "last_used_at");
