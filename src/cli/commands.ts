// The list of CLI commands; each module exports `register(program)`.
import type { Command } from 'commander';
import { register as check } from './check.js';

export const commands: ((program: Command) => void)[] = [check];
