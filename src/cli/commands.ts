// The list of CLI commands; each module exports `register(program)`.
import type { Command } from 'commander';
import { register as check } from './check.js';
import { register as migrate } from './migrate.js';
import { register as audit } from './audit.js';
import { register as agents } from './agents.js';
import { register as approvals } from './approvals.js';
import { register as serve } from './serve.js';
import { register as demo } from './demo.js';
import { register as mcp } from './mcp.js';

export const commands: ((program: Command) => void)[] = [check, migrate, audit, agents, approvals, serve, demo, mcp];
