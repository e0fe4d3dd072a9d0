import { reasonInfo } from "@/lib/reasons";

/** "Likely Meta error 131026": Treble does not publish how its reasons map to Meta's codes. */
export function LikelyMetaCodes({ codes }: { codes: readonly number[] }) {
  if (!codes.length) return null;
  return (
    <span className="muted small" data-testid="likely-meta-codes" title="Treble does not publish which Meta error leads to each reason: this is our best guess.">
      Likely Meta error {codes.join(" / ")}
    </span>
  );
}

/** When retrying a reason's contacts can work, and its likely Meta error code. */
export function ReasonRetry({ code }: { code: string }) {
  const info = reasonInfo(code);
  if (!info) return null;
  return (
    <p data-testid="reason-retry">
      <strong>When a retry can work:</strong> {info.retry} <LikelyMetaCodes codes={info.likelyMetaCodes} />
    </p>
  );
}
