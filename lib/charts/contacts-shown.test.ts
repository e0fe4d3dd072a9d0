import { describe, expect, it } from "vitest";
import { contactsShown } from "./contacts-shown";

const grouped = (n: number) => n.toLocaleString("en-US");

describe("contactsShown", () => {
  it("shows a count as formatted, an estimate after ≈, and a contacts count not made as —", () => {
    expect(contactsShown({ contacts: 21186, contactsApproximate: false }, grouped)).toBe("21,186");
    expect(contactsShown({ contacts: 4088, contactsApproximate: true }, grouped)).toBe("≈ 4,088");
    expect(contactsShown({ contacts: null, contactsApproximate: false }, grouped)).toBe("—");
    expect(contactsShown({ contacts: 0, contactsApproximate: false }, grouped)).toBe("0");
  });
});
