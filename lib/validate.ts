import type { z } from "zod";
import { InvalidInputError } from "@/lib/http/errors";

/** A lib verb's input checked against its zod schema; InvalidInputError naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new InvalidInputError(`${details[0]!.path} ${details[0]!.message}`.trim(), details, "invalid_input");
}
