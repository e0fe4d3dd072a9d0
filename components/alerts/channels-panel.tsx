"use client";

import { useLocale, useTranslations } from "next-intl";
import { useState } from "react";
import { When } from "@/components/settings/when";
import { fetchJson } from "@/lib/api-client";
import type { ChannelSummary } from "@/lib/alerts/channels";
import { CHANNEL_TYPES, type ChannelType } from "@/lib/alerts/rule-schema";
import { isLocale, LANGUAGE_NAMES, LOCALES, type Locale } from "@/lib/i18n/locales";
import { AdminPanel, InlineForm, ItemTable, RowActions } from "./admin-list";
import { ActionMessage, useAction } from "./use-action";

const jsonInit = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { "Content-Type": "application/json" },
  body: body === undefined ? undefined : JSON.stringify(body),
});

/** Alert channels: created here (a webhook's secret shown once, messages in the chosen language), tested, paused, deleted. */
export function ChannelsPanel(props: { channels: ChannelSummary[]; onChange: (channels: ChannelSummary[]) => void; tz: string; smtpConfigured: boolean }) {
  const { channels, onChange } = props;
  const t = useTranslations("alertSettings");
  const tType = useTranslations("alertChannelTypes");
  const pageLocale = useLocale();
  const [type, setType] = useState<ChannelType>("webhook");
  const [locale, setLocale] = useState<Locale>(isLocale(pageLocale) ? pageLocale : "en");
  const [secret, setSecret] = useState<string | null>(null);
  const { busy, message, run } = useAction();

  const reload = async () => onChange((await fetchJson<{ items: ChannelSummary[] }>("/api/alerts/channels")).items);

  const create = (form: HTMLFormElement) =>
    run(async () => {
      const data = new FormData(form);
      const body =
        type === "email"
          ? { type, name: data.get("name"), locale, to: String(data.get("to") ?? "").split(/[,\s]+/).filter(Boolean) }
          : { type, name: data.get("name"), locale, url: data.get("url") };
      const created = await fetchJson<ChannelSummary & { secret?: string }>("/api/alerts/channels", jsonInit("POST", body));
      setSecret(created.secret ?? null);
      form.reset();
      await reload();
      return t("channelCreated", { name: created.name });
    });

  const test = (c: ChannelSummary) =>
    run(async () => {
      try {
        const result = await fetchJson<{ ok: true; status: number }>(`/api/alerts/channels/${c.id}/test`, jsonInit("POST"));
        return t("testSent", { name: c.name, status: result.status });
      } finally {
        await reload();
      }
    });

  const toggle = (c: ChannelSummary) =>
    run(async () => {
      await fetchJson(`/api/alerts/channels/${c.id}`, jsonInit("PATCH", { enabled: !c.enabled }));
      await reload();
      return c.enabled ? t("paused", { name: c.name }) : t("resumed", { name: c.name });
    });

  const rotate = (c: ChannelSummary) =>
    run(async () => {
      if (!window.confirm(t("confirmRotate", { name: c.name }))) return null;
      setSecret((await fetchJson<{ secret: string }>(`/api/alerts/channels/${c.id}/rotate-secret`, jsonInit("POST"))).secret);
      return t("secretRotated", { name: c.name });
    });

  const remove = (c: ChannelSummary) =>
    run(async () => {
      if (!window.confirm(t("confirmDeleteChannel", { name: c.name }))) return null;
      await fetchJson(`/api/alerts/channels/${c.id}`, jsonInit("DELETE"));
      await reload();
      return t("deleted", { name: c.name });
    });

  return (
    <AdminPanel title={t("channels")} testId="channels-panel">
      <p className="text-muted-foreground">
        {t.rich("channelsIntro", { code: (chunks) => <code>{chunks}</code> })}
      </p>
      {secret && (
        <div className="my-2.5 rounded-lg border border-warning-foreground/30 bg-warning px-3.5 py-2.5 text-warning-foreground" data-testid="channel-secret">
          <p>
            <strong>{t("secretOnce")}</strong>
          </p>
          <pre>{secret}</pre>
          <div className="my-2.5 flex flex-wrap items-center gap-2.5">
            <button type="button" onClick={() => void navigator.clipboard.writeText(secret)}>
              {t("copySecret")}
            </button>
            <button type="button" onClick={() => setSecret(null)}>
              {t("done")}
            </button>
          </div>
        </div>
      )}
      <InlineForm testId="channel-form" onSubmit={(form) => void create(form)}>
        <select aria-label={t("channelType")} value={type} onChange={(e) => setType(e.target.value as ChannelType)}>
          {CHANNEL_TYPES.map((type) => (
            <option key={type} value={type}>
              {tType(type)}
            </option>
          ))}
        </select>
        <input type="text" name="name" aria-label={t("channelName")} placeholder={t("channelNamePlaceholder")} required maxLength={100} />
        {type === "email" ? (
          <input type="text" name="to" aria-label={t("recipients")} placeholder="ops@example.com, lead@example.com" required size={40} />
        ) : (
          <input type="url" name="url" aria-label={t("channelUrl")} placeholder="https://…" required size={40} />
        )}
        <select aria-label={t("messageLanguage")} value={locale} onChange={(e) => setLocale(e.target.value as Locale)} data-testid="channel-locale">
          {LOCALES.map((l) => (
            <option key={l} value={l} lang={l}>
              {LANGUAGE_NAMES[l]}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          {t("addChannel")}
        </button>
      </InlineForm>
      {type === "email" && !props.smtpConfigured && (
        <p className="text-destructive" role="alert">
          {t.rich("smtpMissing", { code: (chunks) => <code>{chunks}</code> })}
        </p>
      )}
      <ItemTable
        headers={[t("name"), t("type"), t("target"), t("language"), t("status"), t("lastSuccess", { tz: props.tz }), t("lastError"), ""]}
        empty={t("noChannels")}
        isEmpty={channels.length === 0}
      >
        {channels.map((c) => (
          <tr key={c.id} data-testid={`channel-row-${c.id}`}>
            <td>{c.name}</td>
            <td>{tType(c.type)}</td>
            <td>
              <code>{c.url ?? c.to?.join(", ")}</code>
            </td>
            <td lang={c.locale}>{LANGUAGE_NAMES[c.locale]}</td>
            <td>
              {c.enabled ? (
                t("active")
              ) : (
                <span className="inline-flex rounded-full border border-destructive/40 bg-destructive/10 px-2 py-0.5 text-xs text-destructive">{c.disabledReason ? t("disabled") : t("pausedStatus")}</span>
              )}
              {c.disabledReason && <div className="text-muted-foreground">{c.disabledReason}</div>}
            </td>
            <td>{c.lastSuccessAt ? <When iso={c.lastSuccessAt} tz={props.tz} /> : <span className="text-muted-foreground">{t("never")}</span>}</td>
            <td>
              {c.lastError ? (
                <>
                  <When iso={c.lastErrorAt} tz={props.tz} /> <span className="text-destructive">{c.lastError}</span>
                </>
              ) : (
                <span className="text-muted-foreground">—</span>
              )}
            </td>
            <td>
              <RowActions
                busy={busy}
                actions={[
                  { label: t("sendTest"), onClick: () => void test(c) },
                  { label: c.enabled ? t("pause") : t("resume"), onClick: () => void toggle(c) },
                  ...(c.type === "webhook" ? [{ label: t("rotateSecret"), onClick: () => void rotate(c) }] : []),
                  { label: t("delete"), onClick: () => void remove(c) },
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
