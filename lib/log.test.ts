import { describe, expect, it } from "vitest";
import { maskPhones, redactUrl } from "./log";

describe("log hygiene", () => {
  it("redacts credentials in a logged URL's query", () => {
    expect(redactUrl("/api/webhooks/treble?token=s3cret-value&x=1")).toBe("/api/webhooks/treble?token=[redacted]&x=1");
    expect(redactUrl("/a?x=1&Token=abc#frag")).toBe("/a?x=1&Token=[redacted]#frag");
    expect(redactUrl("/login?next=%2Ffailures")).toBe("/login?next=%2Ffailures");
  });

  it("masks phone numbers down to their last two digits", () => {
    expect(maskPhones('Unexpected end of JSON: {"cellphone":"573001234567",')).toBe('Unexpected end of JSON: {"cellphone":"**********67",');
    expect(maskPhones("line +57 300 123 4567 failed")).toBe("line **********67 failed");
    expect(maskPhones("batch of 1001 events")).toBe("batch of 1001 events");
  });
});
