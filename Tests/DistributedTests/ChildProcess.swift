import Foundation

/// Runs `arguments` (an executable's path, then its arguments) to the end: its exit status and what it printed on
/// stdout and stderr together. `environment` adds to (or replaces in) this process's environment.
func runChild(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    (process.standardOutput, process.standardError) = (out, out)
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
