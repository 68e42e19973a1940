-- AlterTable
ALTER TABLE "usage_records" ADD COLUMN     "instance_id" VARCHAR(100);

-- CreateIndex
CREATE INDEX "usage_records_status_created_at_idx" ON "usage_records"("status", "created_at");
