"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { fetchJson } from "@/lib/api-client";

export type PlanSourceInput = { incidentId: number } | { filter: Record<string, string> };

/**
 * "Re-deploy contacts…": asks what to include, when to send and from which line, then creates
 * the plan — a dry run that sends nothing — and opens it, where the count is typed to send.
 */
export function RedeployLauncher({ source, label = "Re-deploy contacts…" }: { source: PlanSourceInput; label?: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [retryLater, setRetryLater] = useState(true);
  const [fixed, setFixed] = useState(false);
  const [sendAt, setSendAt] = useState<"now" | "earliest" | "at">("now");
  const [at, setAt] = useState("");
  const [line, setLine] = useState("");
  const create = useMutation({
    mutationFn: () =>
      fetchJson<{ id: number }>("/api/redeploy/plans", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          ...source,
          include: [...(retryLater ? ["retry_later"] : []), ...(fixed ? ["fix_then_retry"] : [])],
          sendAt: sendAt === "at" ? (at ? new Date(at).toISOString() : "") : sendAt,
          ...(line.trim() ? { line: line.trim() } : {}),
        }),
      }),
    onSuccess: (plan) => router.push(`/redeploy/${plan.id}`),
  });

  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)} data-testid="redeploy-open">
        {label}
      </button>
    );
  }
  const close = () => {
    setOpen(false);
    create.reset();
  };
  return (
    <>
      <div className="drawer-backdrop" onClick={close} />
      <div className="modal panel" role="dialog" aria-modal="true" aria-label="Re-deploy contacts" data-testid="redeploy-dialog" onKeyDown={(e) => e.key === "Escape" && close()}>
        <h2>Re-deploy contacts through Treble</h2>
        <p className="muted">
          A dry run first: nothing is sent until you confirm on the plan page. Contacts with any &ldquo;do not contact&rdquo; failure, and contacts already
          re-deployed for the same failure, are always left out.
        </p>
        <form
          className="auth-form"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <fieldset>
            <legend>Contacts whose latest failure is</legend>
            <label>
              <input type="checkbox" checked={retryLater} onChange={(e) => setRetryLater(e.target.checked)} /> Retry later
            </label>
            <label>
              <input type="checkbox" checked={fixed} onChange={(e) => setFixed(e.target.checked)} data-testid="redeploy-include-fixed" /> Fix, then retry —
              I confirm the cause is fixed
            </label>
          </fieldset>
          <fieldset>
            <legend>Send</legend>
            <label>
              <input type="radio" name="sendAt" checked={sendAt === "now"} onChange={() => setSendAt("now")} /> Now
            </label>
            <label>
              <input type="radio" name="sendAt" checked={sendAt === "earliest"} onChange={() => setSendAt("earliest")} /> At the earliest time a retry can
              work (e.g. 24 h after a tier or rate limit failure)
            </label>
            <label>
              <input type="radio" name="sendAt" checked={sendAt === "at"} onChange={() => setSendAt("at")} /> At{" "}
              <input type="datetime-local" value={at} onChange={(e) => (setAt(e.target.value), setSendAt("at"))} aria-label="Send at (your local time)" />
            </label>
          </fieldset>
          <label>
            Move every contact to this line (optional; otherwise each keeps the line it failed on)
            <input type="text" value={line} onChange={(e) => setLine(e.target.value)} placeholder="+573001112233" inputMode="tel" />
          </label>
          {create.isError && (
            <p className="error-inline" role="alert">
              {create.error.message}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary" disabled={create.isPending || (!retryLater && !fixed)} data-testid="redeploy-dry-run">
              {create.isPending ? "Counting…" : "Dry run"}
            </button>
            <button type="button" className="link" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </>
  );
}
