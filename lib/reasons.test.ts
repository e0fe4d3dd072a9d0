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
