// Agent identities as stored (tokens only as hashes).

export interface AgentRecord {
  id: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface AgentAuth {
  agent: AgentRecord;
  /** sha256 hex of the token */
  tokenHash: string;
  /** `SCRAM-SHA-256$4096:salt$StoredKey:ServerKey`; null for agents created before it existed */
  scramVerifier: string | null;
}
