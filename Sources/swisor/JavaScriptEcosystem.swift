#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// A JavaScript ecosystem file (ecosystem.config.js, .cjs, .mjs), evaluated the way PM2
/// does it: by node, loading the module with the caller's environment and working
/// directory, so that `process.env.X` and relative requires mean what they mean under
/// PM2. node prints the exports as JSON, which then goes through the same loader as a
/// .json file. Only the CLI runs it, never the daemon, and within a time limit.
enum JavaScriptEcosystem {
    /// How long node may take, unless SWISOR_CONFIG_TIMEOUT (milliseconds) says otherwise.
    static let defaultTimeoutMs: Int64 = 10_000

    /// The loader node runs (`node -e`). It writes the JSON on a copy of stdout taken
    /// before the file loads, and points the file's own console.log at stderr, so that a
    /// file that prints cannot corrupt the result. A RegExp (ignore_watch may hold one)
    /// becomes its source text; functions and undefined values are dropped by
    /// JSON.stringify as they would be on their way to PM2's daemon.
    static let loader = #"""
    'use strict';
    const path = require('path'), url = require('url'), fs = require('fs');
    const file = path.resolve(process.argv[1]);
    const emit = (s) => { let off = 0; const b = Buffer.from(s); while (off < b.length) off += fs.writeSync(1, b, off); };
    process.stdout.write = process.stderr.write.bind(process.stderr);
    const fail = (code, msg) => { process.stderr.write('\u0000SWISOR:' + msg); process.exit(code); };
    const where = (e) => {
      const text = String((e && e.stack) || '');
      const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const m = text.match(new RegExp('(?:file://)?' + esc + ':(\\d+)(?::(\\d+))?'));
      return m ? 'line ' + m[1] + (m[2] ? ', column ' + m[2] : '') + ': ' : '';
    };
    (async () => {
      let m;
      if (file.endsWith('.mjs')) {
        m = await import(url.pathToFileURL(file).href);
      } else {
        try { m = require(file); }
        catch (e) {
          if (e && e.code === 'ERR_REQUIRE_ESM') m = await import(url.pathToFileURL(file).href);
          else throw e;
        }
      }
      if (m && typeof m === 'object' && m[Symbol.toStringTag] === 'Module') m = ('default' in m) ? m.default : Object.assign({}, m);
      if (typeof m === 'function') fail(3, 'the file exports a function; PM2 does not call it either: export the object ({ apps: [...] })');
      if (m === undefined || m === null || typeof m !== 'object') fail(3, 'the file exports ' + (m === null ? 'null' : typeof m) + '; expected an object with "apps" (module.exports = { apps: [...] })');
      emit(JSON.stringify(m, (k, v) => v instanceof RegExp ? v.toString() : (typeof v === 'bigint' ? Number(v) : v)));
    })().catch((e) => {
      const name = (e && e.name) || 'Error';
      const msg = (e && e.message !== undefined) ? e.message : String(e);
      let loc = where(e);
      if (!loc && e && e.stack && name === 'SyntaxError') {
        const first = String(e.stack).split('\n')[0];
        const m = first.match(/:(\d+)$/);
        if (m) loc = 'line ' + m[1] + ': ';
      }
      fail(2, loc + name + ': ' + String(msg).split('\n')[0]);
    });
    """#

    /// Evaluates `path` and returns its exports as JSON bytes. `source` is the file as the
    /// user wrote it: every message starts with it.
    static func evaluate(path: String, source: String, cwd: String, environment: [String: String]) throws -> [UInt8] {
        let node: String
        do throws(SpawnError) {
            node = try Spawner.resolveProgram("node", cwd: cwd, path: environment["PATH"])
        } catch {
            throw CLIError("\(source): a JavaScript ecosystem file is read by node, and node is not in PATH; install node (apt-get install nodejs), or convert the file once to JSON on a machine that has it: node -e 'console.log(JSON.stringify(require(\"./\(source)\"), null, 2))' > ecosystem.json")
        }
        var timeout = defaultTimeoutMs
        if let text = environment["SWISOR_CONFIG_TIMEOUT"] {
            guard let ms = Int64(text), ms > 0, ms <= 3_600_000 else {
                throw CLIError("SWISOR_CONFIG_TIMEOUT: expected milliseconds between 1 and 3600000, found \"\(text)\"")
            }
            timeout = ms
        }
        let run: CapturedRun
        do throws(SpawnError) {
            run = try ProgramRun.capture([node, "-e", loader, path], environment: environment, cwd: cwd,
                                         timeoutMs: timeout, limit: 16 << 20)
        } catch {
            throw CLIError("\(source): cannot run node: \(error)")
        }
        if run.timedOut {
            throw CLIError("\(source): node did not finish loading the file within \(timeout) ms (a loop, or a wait on something that never comes); nothing was started")
        }
        // What the file itself printed goes to stderr, as PM2 shows it on the terminal.
        var printed = run.stderr
        var reason: String?
        if let marker = printed.firstRange(of: Array("\u{0}SWISOR:".utf8)) {
            reason = String(decoding: printed[marker.upperBound...], as: UTF8.self)
            printed.removeSubrange(marker.lowerBound...)
        }
        if !printed.isEmpty {
            _ = printed.withUnsafeBytes { try? FileDescriptor.standardError.writeAll($0) }
        }
        if let reason { throw CLIError("\(source): \(reason)") }
        guard run.status == 0 else {
            // node itself failed (a bad flag, killed): its last words are the message.
            let last = String(decoding: run.stderr, as: UTF8.self).split(separator: "\n").last.map(String.init)
            throw CLIError("\(source): node exited with status \(run.status)\(last.map { ": \($0)" } ?? "")")
        }
        if run.truncated { throw CLIError("\(source): the file's apps are more than 16 MiB of JSON") }
        return run.stdout
    }
}
