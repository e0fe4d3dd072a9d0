"use client";

import { useEffect, useState } from "react";
import { ApiError, fetchJson } from "@/lib/api-client";
import type { ChannelSummary } from "@/lib/alerts/channels";
import { TRIGGERS, type Trigger } from "@/lib/alerts/rule-schema";
import type { RuleSummary } from "@/lib/alerts/rules";
import { ActionMessage, useAction } from "./use-action";

const TRIGGER_LABELS: Record<Trigger, string> = {
  incident_opened: "A new incident opens",
  incident_regressed: "A resolved incident regresses",
  incident_escalating: "An incident escalates",
  template_status: "A template changes status (hsm.status)",
  threshold: "Failures reach a threshold",
  change: "Failures rise against last week",
  digest: "Daily digest",
};

interface Draft {
  name: string;
  trigger: Trigger;
  channelIds: number[];
  reason: string;
  class: string;
  line: string;
  template: string;
  count: string;
  windowMinutes: string;
  percent: string;
  minCount: string;
  templateStatuses: string;
  digestTime: string;
  tz: string;
  repeatMinutes: string;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
}

const emptyDraft = (tz: string): Draft => ({
  name: "",
  trigger: "incident_opened",
  channelIds: [],
  reason: "",
  class: "",
  line: "",
  template: "",
  count: "50",
  windowMinutes: "15",
  percent: "100",
  minCount: "20",
  templateStatuses: "PAUSED,DISABLED,REJECTED",
  digestTime: "08:00",
  tz,
  repeatMinutes: "60",
  quiet: false,
  quietStart: "22:00",
  quietEnd: "07:00",
});

const num = (v: string) => (v.trim() === "" ? undefined : Number(v));

/** The API body of a draft: only the fields its trigger uses. */
function ruleBody(d: Draft) {
  const filter = Object.fromEntries((["reason", "class", "line", "template"] as const).filter((k) => d[k].trim()).map((k) => [k, d[k].trim()]));
  return {
    name: d.name.trim() || "Draft",
    trigger: d.trigger,
    channelIds: d.channelIds,
    filter,
    ...(d.trigger === "threshold" && { threshold: { count: num(d.count), windowMinutes: num(d.windowMinutes) } }),
    ...(d.trigger === "change" && { change: { percent: num(d.percent), windowMinutes: num(d.windowMinutes), minCount: num(d.minCount) } }),
    ...(d.trigger === "template_status" && { templateStatuses: d.templateStatuses.split(",").map((s) => s.trim()).filter(Boolean) }),
    ...(d.trigger === "digest" && { digest: { time: d.digestTime, tz: d.tz } }),
    repeatMinutes: num(d.repeatMinutes),
    quietHours: d.quiet ? { start: d.quietStart, end: d.quietEnd, tz: d.tz } : null,
  };
}

function describeRule(r: RuleSummary): string {
  const f = Object.entries(r.filter)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const extra =
    r.trigger === "threshold"
      ? `≥ ${r.threshold?.count} in ${r.threshold?.windowMinutes} min`
      : r.trigger === "change"
        ? `+${r.change?.percent}% vs last week over ${r.change?.windowMinutes} min (≥ ${r.change?.minCount})`
        : r.trigger === "template_status"
          ? (r.templateStatuses ?? []).join(", ")
          : r.trigger === "digest"
            ? `${r.digest?.time} ${r.digest?.tz}`
            : "";
  return [TRIGGER_LABELS[r.trigger], extra, f && `(${f})`].filter(Boolean).join(" — ");
}

/** Rule editor with a live 7-day preview, the rule list, and the recommended presets. */
export function RulesPanel(props: { rules: RuleSummary[]; channels: ChannelSummary[]; tz: string }) {
  const [rules, setRules] = useState(props.rules);
  const [draft, setDraft] = useState(() => emptyDraft(props.tz));
  const [preview, setPreview] = useState<{ text: string; error: boolean } | null>(null);
  const { busy, message, run } = useAction();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  useEffect(() => {
    const body = ruleBody(draft);
    const timer = setTimeout(() => {
      fetchJson<{ notifications: number; days: number }>("/api/alerts/rules/preview", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then((p) => setPreview({ text: `Would have sent ${p.notifications} notification${p.notifications === 1 ? "" : "s"} in the last ${p.days} days.`, error: false }))
        .catch((err: unknown) => setPreview({ text: err instanceof ApiError ? err.message : "Preview unavailable.", error: true }));
    }, 400);
    return () => clearTimeout(timer);
  }, [draft]);

  const reload = async () => setRules((await fetchJson<{ items: RuleSummary[] }>("/api/alerts/rules")).items);

  const create = () =>
    run(async () => {
      const created = await fetchJson<RuleSummary>("/api/alerts/rules", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...ruleBody(draft), name: draft.name }) });
      setDraft(emptyDraft(props.tz));
      await reload();
      return `Created rule "${created.name}".`;
    });

  const toggle = (r: RuleSummary) =>
    run(async () => {
      await fetchJson(`/api/alerts/rules/${r.id}`, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ enabled: !r.enabled }) });
      await reload();
      return r.enabled ? `Paused "${r.name}".` : `Enabled "${r.name}".`;
    });

  const remove = (r: RuleSummary) =>
    run(async () => {
      if (!window.confirm(`Delete the rule "${r.name}"?`)) return null;
      await fetchJson(`/api/alerts/rules/${r.id}`, { method: "DELETE" });
      await reload();
      return `Deleted "${r.name}".`;
    });

  const addRecommended = () =>
    run(async () => {
      const { items } = await fetchJson<{ items: RuleSummary[] }>("/api/alerts/rules/recommended", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tz: props.tz }),
      });
      await reload();
      return items.length ? `Added ${items.length} recommended rules.` : "The recommended rules are already there.";
    });

  const text = (key: keyof Draft, label: string, placeholder = "", size = 14) => (
    <label>
      {label}{" "}
      <input type="text" aria-label={label} value={String(draft[key])} placeholder={placeholder} size={size} onChange={(e) => set(key, e.target.value as never)} />
    </label>
  );

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="rules-panel">
      <h2>Rules</h2>
      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        <button type="button" disabled={busy || props.channels.length === 0} onClick={() => void addRecommended()}>
          Add recommended rules
        </button>
        <span className="text-muted-foreground">
          Template status changes; new FAILURE_BY_DISABLED_HSM / FAILURE_BY_SPAM_RATE_LIMIT incidents at once; thresholds on FAILURE_BY_TIER_CAPACITY and
          FAILURE_BY_RATE_LIMIT; a daily digest — to every enabled channel.
        </span>
      </div>
      <form
        className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
        data-testid="rule-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <h3>New rule</h3>
        <input type="text" aria-label="Rule name" placeholder="Name" required maxLength={100} value={draft.name} onChange={(e) => set("name", e.target.value)} />
        <select aria-label="Trigger" value={draft.trigger} onChange={(e) => set("trigger", e.target.value as Trigger)}>
          {TRIGGERS.map((t) => (
            <option key={t} value={t}>
              {TRIGGER_LABELS[t]}
            </option>
          ))}
        </select>
        <fieldset className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold">
          <legend>Notify</legend>
          {props.channels.length === 0 && <span className="text-muted-foreground">Add a channel first.</span>}
          {props.channels.map((c) => (
            <label key={c.id}>
              <input
                type="checkbox"
                aria-label={`Notify ${c.name}`}
                checked={draft.channelIds.includes(c.id)}
                onChange={(e) => set("channelIds", e.target.checked ? [...draft.channelIds, c.id] : draft.channelIds.filter((id) => id !== c.id))}
              />{" "}
              {c.name}
            </label>
          ))}
        </fieldset>
        {draft.trigger !== "digest" && (
          <>
            {text("reason", "Reason", "e.g. FAILURE_BY_TIER_CAPACITY")}
            {text("class", "Class", "retry_later,…", 10)}
            {text("line", "Line", "+57…", 12)}
            {text("template", "Template", "welcome_v2", 12)}
          </>
        )}
        {draft.trigger === "threshold" && (
          <>
            {text("count", "At least (failures)", "", 5)}
            {text("windowMinutes", "in the last (minutes)", "", 5)}
          </>
        )}
        {draft.trigger === "change" && (
          <>
            {text("percent", "Rise of at least (%)", "", 5)}
            {text("windowMinutes", "over the last (minutes)", "", 5)}
            {text("minCount", "with at least (failures)", "", 5)}
          </>
        )}
        {draft.trigger === "template_status" && text("templateStatuses", "Statuses", "PAUSED,DISABLED,REJECTED", 24)}
        {draft.trigger === "digest" && text("digestTime", "Send at (HH:MM)", "08:00", 5)}
        {(draft.trigger === "digest" || draft.quiet) && text("tz", "Time zone", "America/Bogota", 16)}
        {text("repeatMinutes", "Not again within (minutes)", "", 5)}
        <label>
          <input type="checkbox" aria-label="Quiet hours" checked={draft.quiet} onChange={(e) => set("quiet", e.target.checked)} /> Quiet hours
        </label>
        {draft.quiet && (
          <>
            {text("quietStart", "from", "22:00", 5)}
            {text("quietEnd", "to", "07:00", 5)}
            <span className="text-muted-foreground">held, then sent grouped when they end</span>
          </>
        )}
        <button type="submit" disabled={busy}>
          Create rule
        </button>
      </form>
      {preview && (
        <p data-testid="rule-preview" className={preview.error ? "text-destructive" : "text-muted-foreground"}>
          {preview.text}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>When</th>
            <th>Channels</th>
            <th>Repeat</th>
            <th>Quiet hours</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rules.length === 0 && (
            <tr>
              <td colSpan={7} className="text-muted-foreground">
                No rules yet.
              </td>
            </tr>
          )}
          {rules.map((r) => (
            <tr key={r.id} data-testid={`rule-row-${r.id}`}>
              <td>{r.name}</td>
              <td>{describeRule(r)}</td>
              <td>{r.channelIds.map((id) => props.channels.find((c) => c.id === id)?.name ?? `#${id} (deleted)`).join(", ")}</td>
              <td>{r.repeatMinutes ? `${r.repeatMinutes} min` : "—"}</td>
              <td>{r.quietHours ? `${r.quietHours.start}–${r.quietHours.end} ${r.quietHours.tz}` : "—"}</td>
              <td>{r.enabled ? "enabled" : "paused"}</td>
              <td>
                <div className="my-2.5 flex flex-wrap items-center gap-2.5">
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void toggle(r)}>
                    {r.enabled ? "Pause" : "Enable"}
                  </button>
                  <button type="button" className="cursor-pointer text-primary underline-offset-4 hover:underline" disabled={busy} onClick={() => void remove(r)}>
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionMessage message={message} />
    </section>
  );
}
