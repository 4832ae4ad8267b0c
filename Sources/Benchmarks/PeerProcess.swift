import Foundation

/// A benchmark's peer (a Python script timing the same work in PyTorch) kept alive as one child process, so
/// that its repetitions can alternate with ours: it prints "ready" once loaded, then answers each command
/// line on its stdin with one JSON object on a line ({"ms": …} for a timed repetition).
public final class PeerProcess {
    /// Why the peer could not run, with the fix.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()
    private let hint: String

    /// Starts `arguments` (the interpreter, the script, its arguments) and waits for "ready". `hint` says how
    /// to make the peer run (installing its packages), for the error when it does not.
    public init(_ arguments: [String], hint: String) throws {
        self.hint = hint
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        guard let line = readLine(), line == "ready" else { throw failure("it did not print \"ready\"") }
    }

    deinit { stop() }

    /// Sends `command` and returns the peer's JSON answer.
    public func ask(_ command: String) throws -> [String: Any] {
        guard process.isRunning else { throw failure("it has exited") }
        input.fileHandleForWriting.write(Data("\(command)\n".utf8))
        guard let line = readLine() else { throw failure("it exited instead of answering \"\(command)\"") }
        guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw failure("it answered \"\(command)\" with \"\(line.prefix(200))\", not a JSON object")
        }
        return json
    }

    /// Runs one repetition of `command` in the peer: its milliseconds.
    public func milliseconds(_ command: String) throws -> Double {
        guard let ms = try ask(command)["ms"] as? Double else { throw failure("its answer to \"\(command)\" has no \"ms\"") }
        return ms
    }

    /// Closes the peer's stdin (it exits at end of input) and waits for it.
    public func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    private func failure(_ what: String) -> Failure {
        Failure(description: "the peer `\(process.arguments?.joined(separator: " ").prefix(200) ?? "")` failed: \(what) (its stderr is above); \(hint)")
    }
}
