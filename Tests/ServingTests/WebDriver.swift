import Foundation
import Glibc
import HTTPTypes

/// A headless Chromium session driven through the W3C WebDriver protocol: `chromedriver` runs as a child process
/// on a free loopback port and is spoken to over HTTP (through `HTTPExchange`: FoundationNetworking's URLSession
/// refuses chromedriver's replies, whose headers have no space after the colon). Only what the browser tests
/// need: navigate, find an element by CSS selector, type into it, clear it, click it, run a script, take a
/// screenshot.
struct WebDriver {
    /// A WebDriver command that failed, or a wait that ran out.
    enum Failure: Error, CustomStringConvertible {
        case notStarted(String)
        case command(method: String, path: String, status: Int, error: String, message: String)
        case timedOut(String, seconds: Double)

        var description: String {
            switch self {
            case let .notStarted(reason): "chromedriver did not start: \(reason)"
            case let .command(method, path, status, error, message): "WebDriver \(method) \(path) answered \(status) \(error): \(message)"
            case let .timedOut(what, seconds): "waited \(seconds) s for \(what)"
            }
        }
    }

    static let chromium = "/usr/bin/chromium", chromedriver = "/usr/bin/chromedriver"
    /// The W3C name of an element reference in JSON.
    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    private let port: Int, session: String

    /// Runs `body` with a new session of a 1000×900 headless Chromium on a `chromedriver` started for it (its
    /// output in `log`); the session and the driver are ended however `body` ends.
    static func session<T>(log: URL, _ body: (WebDriver) async throws -> T) async throws -> T {
        let port = try freePort()
        try Data().write(to: log)
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromedriver)
        process.arguments = ["--port=\(port)"]
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        defer {
            stop(process, port: port)
            try? output.close()
        }
        try await waitUntilReady(port, process: process, log: log)
        let options: [String: Any] = ["binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                                                   "--disable-dev-shm-usage", "--window-size=1000,900"]]
        let capabilities = ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options,
                                            "timeouts": ["script": 30_000, "pageLoad": 30_000, "implicit": 0]]]
        let created = try await call(port, .post, "/session", ["capabilities": capabilities])
        guard let id = (created as? [String: Any])?["sessionId"] as? String else {
            throw Failure.notStarted("POST /session answered no sessionId: \(created)")
        }
        let driver = WebDriver(port: port, session: "/session/\(id)")
        do {
            let result = try await body(driver)
            _ = try await call(port, .delete, driver.session, nil)
            return result
        } catch {
            _ = try? await call(port, .delete, driver.session, nil)
            throw error
        }
    }

    func navigate(to url: String) async throws { _ = try await command(.post, "url", ["url": url]) }

    /// The first element matching the CSS `selector`, as its WebDriver reference.
    func element(_ selector: String) async throws -> String {
        let found = try await command(.post, "element", ["using": "css selector", "value": selector])
        guard let reference = (found as? [String: Any])?[Self.elementKey] as? String else {
            throw Failure.command(method: "POST", path: "element", status: 200, error: "no element reference", message: "\(found)")
        }
        return reference
    }

    /// Types `text` into `element`; for a file input, `text` is the path of the file to choose.
    func sendKeys(_ element: String, _ text: String) async throws {
        _ = try await command(.post, "element/\(element)/value", ["text": text])
    }

    func clear(_ element: String) async throws { _ = try await command(.post, "element/\(element)/clear", [:]) }

    func click(_ element: String) async throws { _ = try await command(.post, "element/\(element)/click", [:]) }

    /// Runs `script` (a function body: `return` gives the result) in the page; its result as JSON values.
    func execute(_ script: String) async throws -> Any {
        try await command(.post, "execute/sync", ["script": script, "args": [Any]()])
    }

    /// The window's contents as PNG bytes.
    func screenshot() async throws -> Data {
        let encoded = try await command(.get, "screenshot", nil)
        guard let data = (encoded as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw Failure.command(method: "GET", path: "screenshot", status: 200, error: "not base64", message: "\(encoded)")
        }
        return data
    }

    /// Asks `probe` every 100 ms until it gives a value, for at most `seconds`; `what` names what is waited for.
    func wait<T>(for what: String, seconds: Double = 30, _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure.timedOut(what, seconds: seconds)
    }

    private func command(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]?) async throws -> Any {
        try await Self.call(port, method, "\(session)/\(path)", body)
    }

    /// One WebDriver command: its `value`, or a `Failure` with the driver's error and message.
    private static func call(_ port: Int, _ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]?) async throws -> Any {
        let reply = try await HTTPExchange.send(port, method, path, body: try body.map { try JSONSerialization.data(withJSONObject: $0) })
        let value = ((try? JSONSerialization.jsonObject(with: reply.body, options: .fragmentsAllowed)) as? [String: Any])?["value"] ?? NSNull()
        guard reply.status == 200 else {
            let error = value as? [String: Any] ?? [:]
            throw Failure.command(method: method.rawValue, path: path, status: reply.status, error: error["error"] as? String ?? "",
                                  message: error["message"] as? String ?? String(decoding: reply.body, as: UTF8.self))
        }
        return value
    }

    /// Polls `GET /status` until the driver is ready (at most 10 s), failing early when the process exits.
    private static func waitUntilReady(_ port: Int, process: Process, log: URL) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw Failure.notStarted("it exited with status \(process.terminationStatus): \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            if let status = try? await call(port, .get, "/status", nil) as? [String: Any], status["ready"] as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure.notStarted("not ready after 10 s; its output is in \(log.path)")
    }

    /// Asks the driver to shut down (ending any session left), then kills it if it still runs after 5 s: it
    /// inherits the test process's blocked signals, so SIGTERM would not reach it.
    private static func stop(_ process: Process, port: Int) {
        _ = try? HTTPExchange.raw(port, "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
        for _ in 0..<50 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { usleep(10_000) }
    }

    /// A loopback port nothing listens on (bound to port 0 and released, for the driver to take).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
