"use client";

import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { useLineLabels } from "@/components/line-name";
import { useReasonText } from "@/components/use-reason-text";
import { ApiError, fetchJson } from "@/lib/api-client";
import type { ChannelSummary } from "@/lib/alerts/channels";
import { describeRule, type RuleWords } from "@/lib/alerts/describe-rule";
import { TRIGGERS, type Trigger } from "@/lib/alerts/rule-schema";
import type { RuleSummary } from "@/lib/alerts/rules";
import { AdminPanel, InlineForm, ItemTable, RowActions } from "./admin-list";
import { ActionMessage, useAction } from "./use-action";

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

/** A rule in one line, in words: its trigger, its parameters, its filter (lines under their labels). */
function useDescribeRule() {
  const tWords = useTranslations("alertRuleWords");
  const tTrigger = useTranslations("alertTriggers");
  const tClass = useTranslations("reasonClasses");
  const reasons = useReasonText();
  const lineLabels = useLineLabels();
  const words: RuleWords = {
    word: (key, values) => tWords(key, values),
    trigger: (trigger) => tTrigger(trigger),
    reasonLabel: reasons.label,
    reasonClass: (reasonClass) => tClass(reasonClass),
    lineLabels,
  };
  return (r: RuleSummary): string => describeRule(r, words);
}

/** Rule editor with a live 7-day preview, the rule list, and the recommended presets. */
export function RulesPanel(props: { rules: RuleSummary[]; channels: ChannelSummary[]; tz: string }) {
  const t = useTranslations("alertSettings");
  const tTrigger = useTranslations("alertTriggers");
  const describeRule = useDescribeRule();
  const [rules, setRules] = useState(props.rules);
  const [draft, setDraft] = useState(() => emptyDraft(props.tz));
  const [preview, setPreview] = useState<{ text: string; error: boolean } | null>(null);
  const { busy, message, run } = useAction();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  useEffect(() => {
    const body = ruleBody(draft);
    const timer = setTimeout(() => {
      fetchJson<{ notifications: number; days: number }>("/api/alerts/rules/preview", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then((p) => setPreview({ text: t("preview", { count: p.notifications, days: p.days }), error: false }))
        .catch((err: unknown) => setPreview({ text: err instanceof ApiError ? err.message : t("previewUnavailable"), error: true }));
    }, 400);
    return () => clearTimeout(timer);
  }, [draft, t]);

  const reload = async () => setRules((await fetchJson<{ items: RuleSummary[] }>("/api/alerts/rules")).items);

  const create = () =>
    run(async () => {
      const created = await fetchJson<RuleSummary>("/api/alerts/rules", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...ruleBody(draft), name: draft.name }) });
      setDraft(emptyDraft(props.tz));
      await reload();
      return t("ruleCreated", { name: created.name });
    });

  const toggle = (r: RuleSummary) =>
    run(async () => {
      await fetchJson(`/api/alerts/rules/${r.id}`, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ enabled: !r.enabled }) });
      await reload();
      return r.enabled ? t("paused", { name: r.name }) : t("ruleEnabled", { name: r.name });
    });

  const remove = (r: RuleSummary) =>
    run(async () => {
      if (!window.confirm(t("confirmDeleteRule", { name: r.name }))) return null;
      await fetchJson(`/api/alerts/rules/${r.id}`, { method: "DELETE" });
      await reload();
      return t("deleted", { name: r.name });
    });

  const addRecommended = () =>
    run(async () => {
      const { items } = await fetchJson<{ items: RuleSummary[] }>("/api/alerts/rules/recommended", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tz: props.tz }),
      });
      await reload();
      return items.length ? t("recommendedAdded", { count: items.length }) : t("recommendedThere");
    });

  const text = (key: keyof Draft, label: string, placeholder = "", size = 14) => (
    <label>
      {label}{" "}
      <input type="text" aria-label={label} value={String(draft[key])} placeholder={placeholder} size={size} onChange={(e) => set(key, e.target.value as never)} />
    </label>
  );

  return (
    <AdminPanel title={t("rules")} testId="rules-panel">
      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        <button type="button" disabled={busy || props.channels.length === 0} onClick={() => void addRecommended()}>
          {t("addRecommended")}
        </button>
        <span className="text-muted-foreground">{t("recommendedWhat")}</span>
      </div>
      <InlineForm testId="rule-form" onSubmit={() => void create()}>
        <h3>{t("newRule")}</h3>
        <input type="text" aria-label={t("ruleName")} placeholder={t("name")} required maxLength={100} value={draft.name} onChange={(e) => set("name", e.target.value)} />
        <select aria-label={t("trigger")} value={draft.trigger} onChange={(e) => set("trigger", e.target.value as Trigger)}>
          {TRIGGERS.map((trigger) => (
            <option key={trigger} value={trigger}>
              {tTrigger(trigger)}
            </option>
          ))}
        </select>
        <fieldset className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold">
          <legend>{t("notify")}</legend>
          {props.channels.length === 0 && <span className="text-muted-foreground">{t("addChannelFirst")}</span>}
          {props.channels.map((c) => (
            <label key={c.id}>
              <input
                type="checkbox"
                aria-label={t("notifyChannel", { name: c.name })}
                checked={draft.channelIds.includes(c.id)}
                onChange={(e) => set("channelIds", e.target.checked ? [...draft.channelIds, c.id] : draft.channelIds.filter((id) => id !== c.id))}
              />{" "}
              {c.name}
            </label>
          ))}
        </fieldset>
        {draft.trigger !== "digest" && (
          <>
            {text("reason", t("reason"), t("reasonPlaceholder"))}
            {text("class", t("class"), "retry_later,…", 10)}
            {text("line", t("line"), "+57…", 12)}
            {text("template", t("template"), "welcome_v2", 12)}
          </>
        )}
        {draft.trigger === "threshold" && (
          <>
            {text("count", t("atLeast"), "", 5)}
            {text("windowMinutes", t("inTheLast"), "", 5)}
          </>
        )}
        {draft.trigger === "change" && (
          <>
            {text("percent", t("riseOf"), "", 5)}
            {text("windowMinutes", t("overTheLast"), "", 5)}
            {text("minCount", t("withAtLeast"), "", 5)}
          </>
        )}
        {draft.trigger === "template_status" && text("templateStatuses", t("statuses"), "PAUSED,DISABLED,REJECTED", 24)}
        {draft.trigger === "digest" && text("digestTime", t("sendAt"), "08:00", 5)}
        {(draft.trigger === "digest" || draft.quiet) && text("tz", t("timeZone"), "America/Bogota", 16)}
        {text("repeatMinutes", t("notAgainWithin"), "", 5)}
        <label>
          <input type="checkbox" aria-label={t("quietHours")} checked={draft.quiet} onChange={(e) => set("quiet", e.target.checked)} /> {t("quietHours")}
        </label>
        {draft.quiet && (
          <>
            {text("quietStart", t("from"), "22:00", 5)}
            {text("quietEnd", t("to"), "07:00", 5)}
            <span className="text-muted-foreground">{t("quietWhat")}</span>
          </>
        )}
        <button type="submit" disabled={busy}>
          {t("createRule")}
        </button>
      </InlineForm>
      {preview && (
        <p data-testid="rule-preview" className={preview.error ? "text-destructive" : "text-muted-foreground"}>
          {preview.text}
        </p>
      )}
      <ItemTable headers={[t("name"), t("when"), t("channels"), t("repeat"), t("quietHours"), t("status"), ""]} empty={t("noRules")} isEmpty={rules.length === 0}>
        {rules.map((r) => (
          <tr key={r.id} data-testid={`rule-row-${r.id}`}>
            <td>{r.name}</td>
            <td>{describeRule(r)}</td>
            <td>{r.channelIds.map((id) => props.channels.find((c) => c.id === id)?.name ?? t("deletedChannel", { id })).join(", ")}</td>
            <td>{r.repeatMinutes ? t("minutes", { count: r.repeatMinutes }) : "—"}</td>
            <td>{r.quietHours ? `${r.quietHours.start}–${r.quietHours.end} ${r.quietHours.tz}` : "—"}</td>
            <td>{r.enabled ? t("enabled") : t("pausedStatus")}</td>
            <td>
              <RowActions
                busy={busy}
                actions={[
                  { label: r.enabled ? t("pause") : t("enable"), onClick: () => void toggle(r) },
                  { label: t("delete"), onClick: () => void remove(r) },
                ]}
              />
            </td>
          </tr>
        ))}
      </ItemTable>
      <ActionMessage message={message} />
    </AdminPanel>
  );
}
