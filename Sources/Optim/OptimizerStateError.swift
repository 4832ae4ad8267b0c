/// An optimizer state dict that does not fit the optimizer: every missing, unexpected, mis-shaped and
/// invalid key.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var mismatched: [(key: String, expected: [Int], found: [Int])] = []
    /// Keys whose value is not allowed (e.g. a step count that is not a positive integer).
    public var invalid: [(key: String, reason: String)] = []

    public static func == (a: Self, b: Self) -> Bool { a.description == b.description }

    var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty && invalid.isEmpty }

    public var description: String {
        var lines = ["optimizer state dict does not match the optimizer:"]
        if !missing.isEmpty { lines.append("  missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { lines.append("  unexpected keys: \(unexpected.joined(separator: ", "))") }
        for m in mismatched { lines.append("  \(m.key): expected shape \(m.expected), found \(m.found)") }
        for i in invalid { lines.append("  \(i.key): \(i.reason)") }
        lines.append("  fix: load the optimizer state saved together with this model, by the same kind of optimizer")
        return lines.joined(separator: "\n")
    }
}
