-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "kind" VARCHAR(16) NOT NULL DEFAULT 'api';
