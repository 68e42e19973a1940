// The provider node: MOR-RPC server in front of OpenAI-compatible upstreams, and the headless
// chain commands providers use to register, list models and post bids.
export { startProviderNode, type ProviderNode, type ProviderNodeOptions, type ProviderLog } from "./node";
export { describeModelsConfig, loadModelsConfig, parseModelsConfig, ModelsConfigError, type ModelConfig, type ModelsConfig } from "./models-config";
export {
  registerProviderCommand,
  registerModelCommand,
  postBidCommand,
  deleteBidCommand,
  deregisterCommand,
  providerStatus,
  ProviderCommandError,
} from "./commands";
