// The package ships no type declarations; only what the eval calls.
declare module 'llm_guardrail' {
  export function checkInjection(prompt: string): Promise<{ allowed?: boolean; detected?: boolean; confidence?: number }>;
}
