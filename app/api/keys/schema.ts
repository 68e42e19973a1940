import { z } from "zod";

const limit = z.number().int().positive().max(2_000_000_000).nullish();

/** POST /api/keys: what the dashboard's create form sends (lib/auth validates it again, for every caller). */
export const createKeyBody = z.object({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  expiresAt: z.iso.datetime({ offset: true }).nullish(),
  allowedModels: z.array(z.string().trim().min(1).max(200)).max(100).optional(),
  rpmLimit: limit,
  tpmLimit: limit,
});
