import Foundation

/// Why a pretrained encoder could not be found, read or loaded; each case says what was expected, what
/// was found and how to fix it.
public enum EncoderError: Error, CustomStringConvertible, Equatable {
    /// The model directory (or a required file in it) is missing; `fetchCommand` fetches it.
    case modelMissing(directory: String, file: String, fetchCommand: String)
    /// A file exists but cannot be read or parsed.
    case unreadable(path: String, reason: String)
    /// A config file lacks a field or holds a value this encoder cannot run.
    case badConfig(path: String, reason: String)
    /// The checkpoint's tensors do not fit the model built from the config.
    case badCheckpoint(path: String, reason: String)
    /// An input file for `embed-text` has a line that cannot be used.
    case badInput(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .modelMissing(directory, file, command):
            "pretrained model not found: \(directory)/\(file) does not exist; fetch it by running "
                + "`\(command)` in the CrossModal repository (`make models` fetches every model), or point "
                + "CROSSMODAL_CACHE or --model at a directory that holds it"
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .badConfig(path, reason): "\(path): \(reason)"
        case let .badCheckpoint(path, reason): "\(path): \(reason); use a checkpoint of the architecture config.json describes"
        case let .badInput(path, line, reason): "\(path):\(line): \(reason)"
        }
    }
}
