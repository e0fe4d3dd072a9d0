import type { IncidentItem } from "@/lib/queries/incidents";

/** Status, plus "regressed" when a failure reopened it after it was resolved, and "escalating". */
export function IncidentStatus({ incident }: { incident: Pick<IncidentItem, "status" | "regressed" | "escalating"> }) {
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
      {incident.escalating && (
        <span className="status status-escalating" data-testid="escalating-badge" title="Its failures this hour are far above its usual rate">
          escalating
        </span>
      )}
    </span>
  );
}
