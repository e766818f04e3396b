// OpenAI's `tools` and `tool_choice` params, read the same way for every native API.

/** An OpenAI tool's function, as every native API declares it (each under its own names). */
export interface FunctionDeclaration {
  name: string;
  description?: string;
  parameters?: unknown;
}

/** The functions of the `tools` param; undefined when it is not a list. */
export function functionsOf(tools: unknown): FunctionDeclaration[] | undefined {
  return Array.isArray(tools) ? tools.map((tool: { function: FunctionDeclaration }) => tool.function) : undefined;
}

/** The schema of a function that declares no parameters. */
export const NO_PARAMETERS = { type: 'object', properties: {} };

/** The function a `tool_choice` names (`{ type: 'function', function: { name } }`), if it names one. */
export function chosenFunction(choice: unknown): string | undefined {
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  return typeof name === 'string' ? name : undefined;
}
