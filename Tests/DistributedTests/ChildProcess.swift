import Foundation

/// Runs `arguments` (an executable's path, then its arguments) to the end: its exit status and what it printed on
/// stdout and stderr together.
func runChild(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    let out = Pipe()
    (process.standardOutput, process.standardError) = (out, out)
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
