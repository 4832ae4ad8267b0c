import Foundation

/// Child processes the benches start (mpirun, valgrind, objcopy).
enum ChildProcess {
    /// Runs `arguments` (an executable's path, then its arguments), with `environment` added to this process's,
    /// and returns what it printed (stdout and stderr); throws, with that text, when it exits with a failure.
    static func output(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandError("\(arguments.joined(separator: " ")) failed:\n\(text)") }
        return text
    }
}
