// Console accounts: reviewers (and admins, who also manage agents) and their signed-in sessions.

/** A console account (reviewer, or admin who also manages agents); the password hash stays in the store. */
export interface ReviewerRecord {
  name: string;
  admin: boolean;
  createdAt: number;
}

/** A signed-in console session, looked up by the sha256 of its cookie value. */
export interface ReviewerSession {
  reviewer: string;
  admin: boolean;
  /** the token every state-changing console request must echo in X-CSRF-Token */
  csrf: string;
  createdAt: number;
  /** idle deadline (moved forward while the session is used, never past the absolute one) */
  expiresAt: number;
}
