#!/usr/bin/env node
// Builds the native addon from the Rust sources with @napi-rs/cli, and regenerates index.js
// and index.d.ts. npm runs it as the package's `install` and `prepare` scripts, so
// `npm install <path>/bindings/node` in any project is one command that ends with a working
// package:
//
// - installed as a link (npm's default for a folder): npm runs `prepare` and `install` in
//   this folder but installs none of its dependencies, so @napi-rs/cli is installed here
//   first (`npm install --omit=dev --ignore-scripts`) when it is missing;
// - installed as a copy (`--install-links`): npm runs `prepare` here, packs the folder with the
//   addon just built, and runs `install` in the copy, where the Rust workspace is out of reach
//   and the addon is already there, so the copy only checks that it loads.
//
// The release profile is built unless FERROCKET_NODE_PROFILE=debug (CI sets it to save time).
// Arguments are passed on to `napi build` (the staleness test adds `--output-dir <dir>`).
//
// A link install runs `prepare` and then `install` in this folder. The second `napi build`
// would compile the crate again (napi's CLI forces the first build of a fresh type-def cache
// through an environment variable, whose removal the next cargo run sees as a change), so
// each build leaves a stamp (profile and newest source time, in the cargo target folder) and
// `install` skips building when the stamp says the addon was just built from these sources.
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const packageDir = path.resolve(__dirname, '..')
const workspaceRoot = path.join(packageDir, '..', '..')
const workspaceCore = path.join(workspaceRoot, 'core', 'Cargo.toml')

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: packageDir, ...options })
  if (result.error) throw result.error
  if (result.status !== 0) {
    process.exit(result.status === null ? 1 : result.status)
  }
}

function napiCli() {
  try {
    const manifest = require.resolve('@napi-rs/cli/package.json', { paths: [packageDir] })
    const bin = require(manifest).bin
    return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin.napi)
  } catch {
    return null
  }
}

function installBuildTools() {
  console.log('ferrocket: installing @napi-rs/cli into', packageDir)
  const npmCli = process.env.npm_execpath
  const args = ['install', '--omit=dev', '--ignore-scripts', '--no-save', '--no-package-lock',
    '--no-audit', '--no-fund']
  if (npmCli && npmCli.endsWith('.js')) {
    run(process.execPath, [npmCli, ...args])
  } else {
    run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args)
  }
}

/** The stamp file of the last build, in the cargo target folder. */
function stampPath() {
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(workspaceRoot, process.env.CARGO_TARGET_DIR)
    : path.join(workspaceRoot, 'target')
  return path.join(target, 'ferrocket-node-build.json')
}

/** The newest modification time (ms) of the sources the addon is built from. */
function newestSource() {
  let newest = 0
  const visit = (file) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false })
    if (!stat) return
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry))
    } else {
      newest = Math.max(newest, stat.mtimeMs)
    }
  }
  for (const file of ['src', 'Cargo.toml', 'build.rs']) visit(path.join(packageDir, file))
  for (const file of ['core', 'Cargo.toml', 'Cargo.lock']) visit(path.join(workspaceRoot, file))
  return newest
}

/** What a build of `profile` from the current sources writes to its stamp. */
function stampFor(profile) {
  return JSON.stringify({ profile, newestSourceMs: newestSource() })
}

/** Whether the addon in this folder was built for `profile` from the current sources. */
function upToDate(profile) {
  const built = fs.readdirSync(packageDir).some((f) => f.endsWith('.node'))
  let stamp = null
  try {
    stamp = fs.readFileSync(stampPath(), 'utf8')
  } catch {
    return false
  }
  return built && stamp === stampFor(profile)
}

function main() {
  if (!fs.existsSync(workspaceCore)) {
    // A packed copy: the addon was built in the source folder before packing.
    const built = fs.readdirSync(packageDir).filter((f) => f.endsWith('.node'))
    if (built.length === 0) {
      console.error('ferrocket: no Rust workspace around this copy and no built addon; ' +
        'install from the repository folder: npm install <repo>/bindings/node')
      process.exit(1)
    }
    require(path.join(packageDir, 'index.js'))
    return
  }
  let cli = napiCli()
  if (cli === null) {
    installBuildTools()
    cli = napiCli()
    if (cli === null) {
      console.error('ferrocket: @napi-rs/cli could not be installed')
      process.exit(1)
    }
  }
  const release = process.env.FERROCKET_NODE_PROFILE !== 'debug'
  const profile = release ? 'release' : 'debug'
  const extraArgs = process.argv.slice(2)
  if (process.env.npm_lifecycle_event === 'install' && extraArgs.length === 0 &&
    upToDate(profile)) {
    console.log(`ferrocket: the ${profile} addon was just built from these sources; not again`)
    return
  }
  const header = fs.readFileSync(path.join(__dirname, 'dts-header.d.ts'), 'utf8')
  const args = [cli, 'build', '--platform', '--no-const-enum', '--runtime-string-enum',
    '--dts-header', header, '--js', 'index.js',
    '--dts', 'index.d.ts', ...(release ? ['--release'] : []), ...extraArgs]
  run(process.execPath, args)
  if (extraArgs.length === 0) {
    fs.mkdirSync(path.dirname(stampPath()), { recursive: true })
    fs.writeFileSync(stampPath(), stampFor(profile))
  }
}

main()
