import { retrieveModel, withApiKey } from "@/lib/gateway";

// GET /api/v1/models/{id}: one model by API id, on-chain name or 0x model id.
export const GET = withApiKey((ctx, params) => retrieveModel(ctx, params.id));
