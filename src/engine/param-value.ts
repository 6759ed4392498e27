/** A parameter value as it arrives in a tool call (JSON). */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };
