"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
import { fetchJson } from "@/lib/api-client";
import { FIELD_MAPPING_HELP, FIELD_MAPPING_KEYS, MAX_PATHS_PER_FIELD, type FieldMapping, type FieldMappingKey } from "@/lib/ingest/field-mapping-keys";

const toText = (mapping: FieldMapping) => Object.fromEntries(FIELD_MAPPING_KEYS.map((k) => [k, mapping[k].join("\n")])) as Record<FieldMappingKey, string>;
const toPaths = (text: string) => text.split("\n").map((p) => p.trim()).filter(Boolean);

/**
 * Where Treble's payload keeps each field, as dotted JSON paths tried before the built-in names.
 * Saving replaces the whole mapping; the webhook uses it from the next event on.
 */
export function FieldMappingPanel({ initial }: { initial: FieldMapping }) {
  const t = useTranslations("fieldMapping");
  const tField = useTranslations("mappedFields");
  const [text, setText] = useState(() => toText(initial));
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function save() {
    setBusy(true);
    setMessage(null);
    try {
      const body = Object.fromEntries(FIELD_MAPPING_KEYS.map((k) => [k, toPaths(text[k])]));
      const saved = await fetchJson<FieldMapping>("/api/settings/field-mapping", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      setText(toText(saved));
      setMessage({ kind: "ok", text: t("saved") });
      toast.success(t("saved"));
    } catch (err) {
      setMessage({ kind: "error", text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" id="field-mapping" data-testid="field-mapping-panel">
      <h2 className="mb-2">{t("title")}</h2>
      <p className="text-muted-foreground">{t.rich("explain", { max: MAX_PATHS_PER_FIELD, code: (chunks) => <code>{chunks}</code> })}</p>
      <div className="grid grid-cols-[repeat(auto-fit,minmax(260px,1fr))] gap-3 [&_label]:flex [&_label]:flex-col [&_label]:gap-1 [&_textarea]:min-h-16 [&_textarea]:font-mono [&_textarea]:text-xs">
        {FIELD_MAPPING_KEYS.map((key) => (
          <label key={key}>
            <span>
              <strong>{tField(key)}</strong> <code className="text-xs">{key}</code>
            </span>
            <textarea
              value={text[key]}
              onChange={(e) => setText((current) => ({ ...current, [key]: e.target.value }))}
              placeholder={t("placeholder")}
              aria-label={t("pathsOf", { field: tField(key) })}
              data-testid={`mapping-${key}`}
            />
            <span className="text-xs text-muted-foreground">{t("then", { builtIn: FIELD_MAPPING_HELP[key].builtIn })}</span>
          </label>
        ))}
      </div>
      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        <button type="button" onClick={() => void save()} disabled={busy} data-testid="mapping-save">
          {t("save")}
        </button>
      </div>
      {message && (
        <p role={message.kind === "error" ? "alert" : "status"} className={message.kind === "error" ? "text-destructive" : "text-muted-foreground"} data-testid="mapping-message">
          {message.text}
        </p>
      )}
    </section>
  );
}
