/**
 * The winners told 202 whose rows MySQL refused (dead-lettered, kept in dead_lettered_winners,
 * core/adapters/mysql/applications-repo.ts holdDeadLettered) that no row has replaced yet: they count as
 * winners wherever winners are read. `d` names their table; one parameter, the event id.
 */
export const UNREPLACED_DEAD_LETTERED = `FROM dead_lettered_winners d
  LEFT JOIN applications a ON a.event_id = d.event_id AND a.person = d.person
  WHERE d.event_id = ? AND a.id IS NULL`;
