import { parseArgs, type ParseArgsConfig } from "node:util";
import { AppError } from "@/lib/http/errors";

/**
 * Flag parsing shared by the demo scripts: node:util's parseArgs (strict, so a typo is an error)
 * plus number checks with messages that name the flag.
 */

export class UsageError extends Error {}

export type FlagValues = Record<string, string | boolean | undefined>;

/** Parses argv; throws UsageError on unknown flags or missing values. */
export function parseFlags(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): FlagValues {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values as FlagValues;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  /** Whether `min` itself is allowed (default true). */
  minInclusive?: boolean;
}

/** A numeric flag's value, or `fallback` when absent; UsageError when not a number in range. */
export function numberFlag(values: FlagValues, name: string, fallback: number, rule: NumberRule): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const text = String(raw).trim();
  const value = text === "" ? Number.NaN : Number(text);
  const inclusive = rule.minInclusive ?? true;
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (inclusive ? value >= rule.min : value > rule.min) &&
    value <= rule.max;
  if (!ok) {
    const kind = rule.integer ? "an integer" : "a number";
    const lower = inclusive ? `${rule.min} ≤` : `${rule.min} <`;
    throw new UsageError(`--${name} must be ${kind} with ${lower} value ≤ ${rule.max} (got "${text}")`);
  }
  return value;
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === "string" && raw.trim() !== "" ? raw.trim() : undefined;
}

/**
 * Runs a script's main function: usage errors print the message and a pointer to --help (exit 2),
 * a lib verb's typed error prints its message (exit 1), anything else prints the error (exit 1).
 */
export function runMain(main: () => Promise<number>, script: string): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(`${script}: ${err.message}\nRun with --help for usage.`);
        process.exitCode = 2;
      } else if (err instanceof AppError) {
        console.error(`${script}: ${err.message}`);
        process.exitCode = 1;
      } else {
        console.error(`${script} failed:`, err);
        process.exitCode = 1;
      }
    },
  );
}
