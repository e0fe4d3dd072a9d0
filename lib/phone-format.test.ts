import { describe, expect, it } from "vitest";
import { formatPhone, lineText } from "./phone-format";

describe("formatPhone", () => {
  it("formats a Colombian mobile as written locally", () => {
    expect(formatPhone("+573104567890")).toBe("+57 310 456 7890");
  });

  it("keeps libphonenumber's grouping where no group is long", () => {
    expect(formatPhone("+5511987654321")).toBe("+55 11 98765 4321");
    expect(formatPhone("+525512345678")).toBe("+52 55 1234 5678");
    expect(formatPhone("+14155552671")).toBe("+1 415 555 2671");
  });

  it("splits long digit runs before their last four digits", () => {
    expect(formatPhone("+4915112345678")).toBe("+49 1511 234 5678");
  });

  it("reads numbers written with spaces, dashes or no plus sign as the same number", () => {
    expect(formatPhone("57 310-456-7890")).toBe("+57 310 456 7890");
    expect(formatPhone("573104567890")).toBe("+57 310 456 7890");
  });

  it("leaves values that are not possible phone numbers unchanged", () => {
    expect(formatPhone("Ventas")).toBe("Ventas");
    expect(formatPhone("12345")).toBe("12345");
    expect(formatPhone("+57310")).toBe("+57310");
    expect(formatPhone("")).toBe("");
  });
});

describe("lineText", () => {
  it("puts the label before the formatted number", () => {
    expect(lineText("+573104567890", "Ventas CO")).toBe("Ventas CO (+57 310 456 7890)");
  });

  it("shows the number alone without a label, and unknown without a line", () => {
    expect(lineText("+573104567890", null)).toBe("+57 310 456 7890");
    expect(lineText(null, "ignored")).toBe("unknown");
  });
});
