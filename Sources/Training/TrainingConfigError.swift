/// Why a training config could not be used; each case says what was expected and how to fix it.
public enum TrainingConfigError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(reason: String)
    case unknownKey(key: String, known: [String], suggestion: String?)
    case invalidValue(key: String, found: String, expected: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read training config \(path): \(reason); check the path"
        case let .malformed(reason):
            "training config is malformed: \(reason); write one `key: value` per line"
        case let .unknownKey(key, known, suggestion):
            "unknown key '\(key)' in training config; known keys: \(known.joined(separator: ", "))"
                + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case let .invalidValue(key, found, expected):
            "invalid value \(found) for '\(key)' in training config; expected \(expected)"
        }
    }
}
