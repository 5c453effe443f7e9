/** Who is calling the admin API: set by adminAuth, read by authorize and by every audit write. */

export const OPERATOR_ROLES = ["owner", "team_admin", "viewer"] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface Operator {
  /** `op_<uuidv7>`, or `admin` for the ADMIN_TOKEN (the bootstrap owner). */
  id: string;
  name: string;
  role: OperatorRole;
  /** The teams a team_admin manages; empty for the other roles. */
  teamIds: string[];
}

/** The ADMIN_TOKEN secret: an owner, named as audit entries have always named it. */
export const BOOTSTRAP_OWNER: Operator = { id: "admin", name: "ADMIN_TOKEN", role: "owner", teamIds: [] };
