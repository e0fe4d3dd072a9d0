import type { IncidentItem } from "@/lib/queries/incidents";

/** Status, plus "regressed" when a failure reopened it after it was resolved. */
export function IncidentStatus({ incident }: { incident: Pick<IncidentItem, "status" | "regressed"> }) {
  return (
    <span className="incident-status">
      <span className={`status status-${incident.status}`} data-testid="incident-status">
        {incident.status}
      </span>
      {incident.regressed && (
        <span className="status status-regressed" data-testid="regressed-badge" title="A failure arrived after it was resolved">
          regressed
        </span>
      )}
    </span>
  );
}
