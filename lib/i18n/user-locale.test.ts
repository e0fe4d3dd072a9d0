import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { getUserLocale, setUserLocale } from "./user-locale";

// The interface language a user stores (behind /api/me and every page's language), the same tests
// on SQLite and PostgreSQL.
const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

const AT = Date.parse("2026-11-25T10:00:00Z");

const stored = async (id: string) => getEngine().one<{ locale: string | null; updated_at: number }>("SELECT locale, updated_at FROM users WHERE id = ?", [id]);

describe.each(ENGINES)("a user's interface language on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await getEngine().exec("DELETE FROM users");
    await getEngine().exec("INSERT INTO users (id, name, email, email_verified, created_at, updated_at, role, disabled) VALUES ('u-1', 'Ana', 'ana@test.example', 0, ?, ?, 'viewer', 0)", [AT, AT]);
  });

  it("starts unset, stores a choice, and forgets it with null", async () => {
    expect(await getUserLocale("u-1")).toBeNull();
    expect(await setUserLocale("u-1", { locale: "pt-BR" }, AT + 1000)).toEqual({ locale: "pt-BR" });
    expect(await stored("u-1")).toEqual({ locale: "pt-BR", updated_at: AT + 1000 });
    expect(await getUserLocale("u-1")).toBe("pt-BR");
    expect(await setUserLocale("u-1", { locale: null }, AT + 2000)).toEqual({ locale: null });
    expect(await getUserLocale("u-1")).toBeNull();
  });

  it("reads inside a transaction through its handle", async () => {
    await setUserLocale("u-1", { locale: "es" });
    expect(await getEngine().transaction((tx) => getUserLocale("u-1", tx))).toBe("es");
  });

  it("refuses an unknown language or extra fields, naming the field, and keeps the stored one", async () => {
    await setUserLocale("u-1", { locale: "es" });
    for (const input of [{ locale: "fr" }, { locale: "ES" }, {}, { locale: "es", theme: "dark" }]) {
      await expect(setUserLocale("u-1", input)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(setUserLocale("u-1", { locale: "fr" })).rejects.toMatchObject({ details: [{ path: "locale" }] });
    expect(await getUserLocale("u-1")).toBe("es");
  });

  it("an unknown user: 404 on a change, no language on a read; a stored value no longer offered reads as none", async () => {
    await expect(setUserLocale("nobody", { locale: "es" })).rejects.toBeInstanceOf(NotFoundError);
    expect(await getUserLocale("nobody")).toBeNull();
    await getEngine().exec("UPDATE users SET locale = 'fr' WHERE id = 'u-1'");
    expect(await getUserLocale("u-1")).toBeNull();
  });
});
