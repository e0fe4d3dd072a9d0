import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { ConflictError, InvalidInputError } from "@/lib/http/errors";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { seal } from "./secret-box";
import { redeploySettings, requireRedeployAvailable, trebleApiKey, updateRedeploySettings } from "./settings";

const SECRET_KEY = "redeploy-settings-test-key";
const databases = setupEngineDatabases({ SECRET_KEY, TREBLE_API_KEY: undefined });
afterAll(() => databases.cleanup());

const by = { actor: { id: "u1", email: "admin@test.example" }, ip: "10.0.0.1" };
const AT = Date.parse("2026-11-25T10:00:00Z");
const API_KEY = "ak_live_0123456789abcdef";

const auditDetails = async () =>
  (await getEngine().query<{ detail: string }>("SELECT detail FROM audit_log WHERE action = 'redeploy_settings_changed' ORDER BY id")).map((r) => r.detail);
const storedKey = async () => (await getEngine().one<{ value: string }>("SELECT value FROM settings WHERE key = 'treble_api_key'"))?.value;

describe.each(ENGINES)("re-deployment settings on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await getEngine().exec("DELETE FROM settings");
    await getEngine().exec("DELETE FROM audit_log");
  });

  it("starts enabled without a key, so plans are refused (409) until an admin stores one", async () => {
    expect(await redeploySettings()).toMatchObject({ enabled: true, apiKey: { source: "none", masked: null, unreadable: false }, canStoreKey: true });
    await expect(requireRedeployAvailable()).rejects.toThrow(/No Treble API key/);
  });

  it("stores the key sealed with SECRET_KEY, shows it masked, and uses it; turning the feature off refuses plans; each change audited", async () => {
    const after = await updateRedeploySettings({ apiKey: ` ${API_KEY} ` }, by, AT);
    expect(after).toMatchObject({ enabled: true, apiKey: { source: "settings", masked: "ak_…cdef", unreadable: false } });
    expect(await storedKey()).not.toContain(API_KEY);
    expect(await trebleApiKey()).toEqual({ key: API_KEY, source: "settings", unreadable: false });
    expect(await requireRedeployAvailable()).toBe(API_KEY);

    expect((await updateRedeploySettings({ enabled: false }, by, AT + 1)).enabled).toBe(false);
    const refused = requireRedeployAvailable();
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(/disabled by an admin/);

    expect(await updateRedeploySettings({ enabled: true, apiKey: null }, by, AT + 2)).toMatchObject({ enabled: true, apiKey: { source: "none", masked: null } });
    expect(await storedKey()).toBeUndefined();
    expect(await auditDetails()).toEqual(["API key set (ak_…cdef)", "disabled", "enabled; API key removed"]);
  });

  it("says a stored key sealed with another SECRET_KEY is unreadable, and refuses plans until it is entered again", async () => {
    await getEngine().exec("INSERT INTO settings (key, value, updated_at) VALUES ('treble_api_key', ?, ?)", [seal(API_KEY, "another-secret-key-0000", "treble-api-key"), AT]);
    expect((await redeploySettings()).apiKey).toEqual({ source: "none", masked: null, unreadable: true });
    await expect(requireRedeployAvailable()).rejects.toThrow(/cannot be decrypted with the current SECRET_KEY/);
  });

  it("refuses non-boolean switches, keys with spaces or over 512 characters and unknown fields with 400, changing nothing", async () => {
    await updateRedeploySettings({ apiKey: API_KEY }, by, AT);
    for (const bad of [{ enabled: "yes" }, { apiKey: "has space" }, { apiKey: "k".repeat(513) }, { apiKey: 5 }, { other: true }]) {
      await expect(updateRedeploySettings(bad, by), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await trebleApiKey()).toMatchObject({ key: API_KEY });
    expect(await auditDetails()).toHaveLength(1);
  });
});
