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
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const packageDir = path.resolve(__dirname, '..')
const workspaceCore = path.join(packageDir, '..', '..', 'core', 'Cargo.toml')

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
  const header = fs.readFileSync(path.join(__dirname, 'dts-header.d.ts'), 'utf8')
  const args = [cli, 'build', '--platform', '--no-const-enum', '--runtime-string-enum',
    '--dts-header', header, '--js', 'index.js',
    '--dts', 'index.d.ts', ...(release ? ['--release'] : []), ...process.argv.slice(2)]
  run(process.execPath, args)
}

main()
