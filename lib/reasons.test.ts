import { describe, expect, it } from "vitest";
import { SEED_REASONS } from "@/lib/testing/fixtures";
import { canonicalReason, REASON_CLASSES, REASON_CLASS_LABELS, REASONS, reasonInfo } from "./reasons";

describe("reasons catalogue", () => {
  it("holds exactly the 18 seed reasons, each once", () => {
    expect(REASONS).toHaveLength(18);
    expect(new Set(REASONS.map((r) => r.code))).toEqual(new Set(SEED_REASONS));
  });

  it("gives every reason a valid class and non-empty label, meaning and action", () => {
    for (const r of REASONS) {
      expect(REASON_CLASSES, r.code).toContain(r.reasonClass);
      expect(r.label.trim(), r.code).not.toBe("");
      expect(r.meaning.trim(), r.code).not.toBe("");
      expect(r.action.trim(), r.code).not.toBe("");
      expect(r.code).toMatch(/^[A-Z_]+$/);
    }
  });

  it("says for every reason when a retry can work", () => {
    for (const r of REASONS) expect(r.retry.trim(), r.code).not.toBe("");
    expect(reasonInfo("INVALID_PHONE")?.retry).toMatch(/^Never/);
    expect(reasonInfo("FAILURE_BY_TIER_CAPACITY")?.retry).toMatch(/24 h/);
    expect(reasonInfo("FAILURE_BY_RATE_LIMIT")?.retry).toMatch(/24 h/);
    expect(reasonInfo("FAILURE_BY_DISABLED_HSM")?.retry).toMatch(/after the pause/);
    expect(reasonInfo("FAILURE_BY_SPAM_RATE_LIMIT")?.retry).toMatch(/no end/);
  });

  it("names the likely Meta error codes", () => {
    const codes = Object.fromEntries(REASONS.filter((r) => r.likelyMetaCodes.length).map((r) => [r.code, [...r.likelyMetaCodes]]));
    expect(codes).toEqual({
      INVALID_PHONE: [131026],
      FAILURE_BY_UNABLE_TO_CONTACT: [131026],
      FAILURE_BY_SPAM_RATE_LIMIT: [131048],
      FAILURE_BY_DISABLED_HSM: [132015, 132016],
      FAILURE_BY_EXPERIMENT_NUMBER: [130472],
      MISSING_PARAMETER: [131008],
      PARAMETER_MISMATCH: [132000],
      CHARACTER_LIMIT_HEADER: [132005],
      CHARACTER_LIMIT_BODY: [132005],
    });
  });

  it("states Meta's current rules where they change what to do", () => {
    // Portfolio-wide messaging limits (7 Oct 2025): another line of the same portfolio adds nothing.
    expect(reasonInfo("FAILURE_BY_TIER_CAPACITY")?.action).toMatch(/portfolio[\s\S]*250[\s\S]*2,000[\s\S]*10,000[\s\S]*100,000[\s\S]*unlimited[\s\S]*no capacity/);
    // Red quality: paused 3 h, then 6 h, then disabled.
    expect(reasonInfo("FAILURE_BY_DISABLED_HSM")?.action).toMatch(/3 hours[\s\S]*6 hours[\s\S]*disables/);
    expect(reasonInfo("FAILURE_BY_SPAM_RATE_LIMIT")?.action).toMatch(/does not publish when/);
  });

  it("labels the four classes and uses each of them", () => {
    expect(Object.keys(REASON_CLASS_LABELS).sort()).toEqual([...REASON_CLASSES].sort());
    expect(new Set(REASONS.map((r) => r.reasonClass))).toEqual(new Set(REASON_CLASSES));
  });

  it("classifies representative reasons as a campaign manager would act on them", () => {
    expect(reasonInfo("FAILURE_BY_TIER_CAPACITY")?.reasonClass).toBe("retry_later");
    expect(reasonInfo("MISSING_PARAMETER")?.reasonClass).toBe("fix_then_retry");
    expect(reasonInfo("FAILURE_BY_DISABLED_HSM")?.reasonClass).toBe("fix_then_retry");
    expect(reasonInfo("INVALID_PHONE")?.reasonClass).toBe("do_not_contact");
    expect(reasonInfo("FAILURE_BY_OPTOUT_CONTACT")?.reasonClass).toBe("do_not_contact");
    expect(reasonInfo("REVOKED")?.reasonClass).toBe("no_action");
  });

  it("looks up entries by exact canonical code only", () => {
    for (const code of SEED_REASONS) expect(reasonInfo(code)?.code).toBe(code);
    expect(reasonInfo("invalid_phone")).toBeUndefined();
    expect(reasonInfo("SOMETHING_NEW")).toBeUndefined();
    expect(reasonInfo("constructor")).toBeUndefined();
  });
});

describe("canonicalReason", () => {
  it("recognises every known reason case-insensitively, trimmed, in upper case", () => {
    for (const code of SEED_REASONS) {
      expect(canonicalReason(code)).toEqual({ code, known: true });
      expect(canonicalReason(code.toLowerCase())).toEqual({ code, known: true });
      expect(canonicalReason(`  ${code.toLowerCase()}\t`)).toEqual({ code, known: true });
    }
    expect(canonicalReason("Failure_By_Rate_Limit")).toEqual({ code: "FAILURE_BY_RATE_LIMIT", known: true });
  });

  it("keeps an unknown reason verbatim (only trimmed) and flags it", () => {
    expect(canonicalReason("Some_New_Reason")).toEqual({ code: "Some_New_Reason", known: false });
    expect(canonicalReason("  131026 ")).toEqual({ code: "131026", known: false });
    expect(canonicalReason("FAILURE BY RATE LIMIT")).toEqual({ code: "FAILURE BY RATE LIMIT", known: false });
    expect(canonicalReason("toString")).toEqual({ code: "toString", known: false });
  });
});
