// cascade-runtime/testing: a local scripted model server for testing agents without a model or a network.

export { startScriptedModelServer } from './scripted-model-server.js';
export type { RecordedRequest, ScriptedModelServer, ScriptedModelServerOptions } from './scripted-model-server.js';
export {
  builtInAgentScripts,
  echoAgentScript,
  emailAgentScript,
  refundAgentScript,
  shellAgentScript,
} from './agent-scripts.js';
export type {
  ConversationMessage,
  ConversationToolCall,
  ModelScript,
  ScriptedConversation,
  ScriptedToolCall,
  ScriptedTurn,
  ScriptStep,
  StreamFault,
} from './script.js';
