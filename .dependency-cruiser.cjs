// The layering of Airlock, checked by `npm test` (pretest). One rule per arrow of the picture in
// README.md (Layout):
//   doors (wire, mcp, rest, cli, slack, email) -> gateway -> policy | approvals | audit | integrations | vault
//   -> store | upstream | sql -> protocol | domain (+ errors, logger, config schema)
const DOORS = '^src/(wire|mcp|rest|cli|slack|email)/';
const GATEWAY = '^src/gateway/';
const MIDDLE = '^src/(policy|approvals|audit|integrations|vault)/';
const PARTS = '^src/(policy|approvals|audit|integrations|vault|store|upstream|sql)/';
const BOTTOM = '^(src/domain/|src/errors\\.ts|src/logger\\.ts|src/config/schema\\.ts|protocol/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no cycles, at any level', from: {}, to: { circular: true } },
    {
      name: 'door-not-to-door',
      severity: 'error',
      comment: 'a door never imports another door; only the CLI composes them (serve, demo, mcp --stdio)',
      from: { path: '^src/(wire|mcp|rest|slack|email)/' },
      to: { path: DOORS, pathNot: '^src/$1/' },
    },
    {
      name: 'nothing-below-imports-a-door',
      severity: 'error',
      comment: 'the gateway and everything below it never import a door',
      from: { pathNot: DOORS },
      to: { path: DOORS },
    },
    {
      name: 'doors-use-the-port',
      severity: 'error',
      comment:
        'doors reach the gateway through its port (src/gateway/port.ts), never through its parts; `airlock integrations` is an offline tool over definition files (no gateway, no store) and may read them directly',
      from: { path: '^src/(mcp|rest|cli|slack|email)/', pathNot: '^src/cli/integrations\\.ts$' },
      to: { path: PARTS },
    },
    {
      name: 'wire-uses-the-port',
      severity: 'error',
      comment:
        'the wire proxy too; only its fast path forwards raw frames over upstream wire connections (decisions and audit still come from the gateway)',
      from: { path: '^src/wire/' },
      to: { path: PARTS, pathNot: '^src/upstream/wire-(pool|conn)\\.ts$' },
    },
    {
      name: 'middle-not-up',
      severity: 'error',
      comment: 'policy, approvals, audit, integrations and vault never import the gateway',
      from: { path: MIDDLE },
      to: { path: GATEWAY },
    },
    {
      name: 'middle-siblings-apart',
      severity: 'error',
      comment: 'policy, approvals, audit, integrations and vault do not import each other (they meet in the gateway)',
      from: { path: '^src/(policy|approvals|audit|integrations|vault)/' },
      to: { path: MIDDLE, pathNot: '^src/$1/' },
    },
    {
      name: 'policy-is-pure',
      severity: 'error',
      comment: 'the policy does no I/O: no store, upstream, network, files or processes',
      from: { path: '^src/policy/' },
      to: {
        path: [
          '^src/(store|upstream)/',
          '^(node:)?(fs|net|tls|http|https|child_process|worker_threads|dgram)$',
          '^node_modules/(pg|better-sqlite3|ioredis|bullmq)/',
        ],
      },
    },
    {
      name: 'lower-knows-no-callers',
      severity: 'error',
      comment: 'the store, upstream connections and the SQL parser import only the bottom layer (and their own folder)',
      from: { path: '^src/(store|upstream|sql)/' },
      to: { path: '^src/', pathNot: ['^src/$1/', BOTTOM] },
    },
    {
      name: 'bottom-is-bottom',
      severity: 'error',
      comment: 'domain types, errors, logger and the config schema import nothing above them',
      from: { path: BOTTOM },
      to: { path: '^src/', pathNot: BOTTOM },
    },
    {
      name: 'protocol-is-standalone',
      severity: 'error',
      comment: 'the wire codec imports nothing of src/',
      from: { path: '^protocol/' },
      to: { path: '^src/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
