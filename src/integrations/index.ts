// Provider integrations: wrap an official client so that its calls are captured and guarded.

export { wrapOpenAI } from './openai.js';
export type { OpenAIClientLike } from './openai.js';
export { wrapAnthropic } from './anthropic.js';
export type { AnthropicClientLike } from './anthropic.js';
export { guardMcpClient, mcpDenialResult, MCP_DENIAL_META } from './mcp.js';
export type { McpClientLike, GuardMcpOptions } from './mcp.js';
export { guardAiTools } from './ai-sdk.js';
export type { AiToolLike, GuardAiToolsOptions } from './ai-sdk.js';
