-- CreateTable
CREATE TABLE "playground_conversations" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "title" VARCHAR(100) NOT NULL,
    "model" VARCHAR(200) NOT NULL,
    "system_prompt" TEXT NOT NULL DEFAULT '',
    "temperature" DOUBLE PRECISION,
    "max_tokens" INTEGER,
    "top_p" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "playground_conversations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "playground_messages" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "content" TEXT NOT NULL,
    "metadata" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "playground_messages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "playground_conversations_user_id_updated_at_idx" ON "playground_conversations"("user_id", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "playground_messages_conversation_id_position_key" ON "playground_messages"("conversation_id", "position");

-- AddForeignKey
ALTER TABLE "playground_conversations" ADD CONSTRAINT "playground_conversations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "playground_messages" ADD CONSTRAINT "playground_messages_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "playground_conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
