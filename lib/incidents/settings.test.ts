import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { InvalidInputError } from "@/lib/http/errors";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DEFAULT_AUTO_RESOLVE_HOURS, getIncidentSettings, updateIncidentSettings } from "./settings";

const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

const by = { actor: { id: "u1", email: "admin@test.example" }, ip: "10.0.0.1" };
const AT = Date.parse("2026-11-25T10:00:00Z");

const auditRows = () => getEngine().query("SELECT actor_email AS actor, target, detail, ip, at FROM audit_log WHERE action = 'incident_settings_changed' ORDER BY id");

describe.each(ENGINES)("incident settings on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await getEngine().exec("DELETE FROM settings");
    await getEngine().exec("DELETE FROM audit_log");
  });

  it("answers the default until an admin sets it, then what was set (1–720 hours, or null for never), each change audited", async () => {
    expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: DEFAULT_AUTO_RESOLVE_HOURS });
    expect(await updateIncidentSettings({ autoResolveAfterHours: 720 }, by, AT)).toEqual({ autoResolveAfterHours: 720 });
    expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: 720 });
    expect(await updateIncidentSettings({ autoResolveAfterHours: null }, by, AT + 1)).toEqual({ autoResolveAfterHours: null });
    expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: null });
    expect(await updateIncidentSettings({ autoResolveAfterHours: 1 }, by, AT + 2)).toEqual({ autoResolveAfterHours: 1 });
    expect(await getEngine().query("SELECT key, value, updated_at FROM settings")).toEqual([{ key: "incidents.autoResolveAfterHours", value: "1", updated_at: AT + 2 }]);
    expect(await auditRows()).toEqual([
      { actor: "admin@test.example", target: "incident settings", detail: "auto-resolve after 720 h", ip: "10.0.0.1", at: AT },
      { actor: "admin@test.example", target: "incident settings", detail: "auto-resolve off", ip: "10.0.0.1", at: AT + 1 },
      { actor: "admin@test.example", target: "incident settings", detail: "auto-resolve after 1 h", ip: "10.0.0.1", at: AT + 2 },
    ]);
  });

  it("refuses 0, 721, fractions, strings, a missing value and unknown keys with 400, changing nothing", async () => {
    await updateIncidentSettings({ autoResolveAfterHours: 12 }, by, AT);
    for (const bad of [{ autoResolveAfterHours: 0 }, { autoResolveAfterHours: 721 }, { autoResolveAfterHours: 2.5 }, { autoResolveAfterHours: "24" }, {}, { autoResolveAfterHours: 24, x: 1 }]) {
      await expect(updateIncidentSettings(bad, by), JSON.stringify(bad)).rejects.toThrow(InvalidInputError);
    }
    expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: 12 });
    expect(await auditRows()).toHaveLength(1);
  });
});
